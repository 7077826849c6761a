// Help per command, written from the flag tables: every flag a command parses is listed with its
// meaning, and a number with its range and default from the settings table.
import { describe, expect, it } from 'vitest';
import { SETTINGS } from '../settings/schema.ts';
import { COMMAND_FLAGS } from './args.ts';
import { COMMAND_HELP, TEXT_FLAGS } from './help.ts';
import { main } from './main.ts';

async function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, (l) => out.push(l), (l) => err.push(l));
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('lora-playground help', () => {
  it('every flag of every command has its help: a setting of the table, or a described text flag with its value', () => {
    expect(Object.keys(COMMAND_HELP).sort()).toEqual(Object.keys(COMMAND_FLAGS).sort());
    for (const [command, spec] of Object.entries(COMMAND_FLAGS)) {
      for (const name of spec.numbers) expect(SETTINGS[name]?.description, `${command} --${name}`).toBeTruthy();
      for (const name of spec.strings) expect(TEXT_FLAGS[name]?.value, `${command} --${name} takes a value: TEXT_FLAGS needs its shape`).toBeTruthy();
      for (const name of [...spec.strings, ...spec.booleans]) expect(TEXT_FLAGS[name]?.description, `${command} --${name}`).toBeTruthy();
      for (const name of spec.booleans) expect(TEXT_FLAGS[name]?.value, `${command} --${name} is a switch`).toBeUndefined();
    }
  });

  it.each(Object.keys(COMMAND_FLAGS))('%s --help lists each of its flags, exit 0, and runs nothing', async (command) => {
    const r = await run([command, '--help']);
    expect(r.code).toBe(0);
    expect(r.err).toBe('');
    expect(r.out.split('\n')[0]).toBe(`usage: lora-playground ${COMMAND_HELP[command].usage}`);
    const spec = COMMAND_FLAGS[command];
    for (const name of [...spec.numbers, ...spec.strings, ...spec.booleans, 'help']) expect(r.out).toMatch(new RegExp(`^ {2}--${name}(?= |$)`, 'm'));
    expect((await run(['help', command])).out).toBe(r.out);
  });

  it("a number's line says the setting's meaning, range and default; a command's own default wins", async () => {
    const train = (await run(['train', '--help'])).out;
    expect(train).toMatch(/^ {2}--rank N +LoRA rank r \(≤ min\(in, out\)\) \(whole number 1 … 1024; default 8\)$/m);
    expect(train).toMatch(/^ {2}--alpha N +LoRA alpha; scaling s = α\/r \(number > 0 … 4096; default 2·rank\)$/m);
    expect(train).toMatch(/^ {2}--optimizer adamw\|sgd /m);
    expect((await run(['eval', '--help'])).out).toMatch(/^ {2}--batch N .*default 1\)$/m);
  });

  it('--help wins over other flags, but a flag the command does not know is still one line and exit 2', async () => {
    expect((await run(['train', '--rank', '0', '--help'])).code).toBe(0);
    const r = await run(['train', '--bogus', '--help']);
    expect(r.code).toBe(2);
    expect(r.err.split('\n')).toHaveLength(1);
    expect(r.err).toMatch(/^lora-playground: unknown flag --bogus \(known: .*--help\)$/);
    const unknown = await run(['help', 'nope']);
    expect([unknown.code, unknown.err]).toEqual([2, "lora-playground: no command 'nope' (try: lora-playground help)"]);
  });

  it('help alone lists every command; no command at all prints the same and exits 2', async () => {
    const help = await run(['help']);
    expect(help.code).toBe(0);
    for (const h of Object.values(COMMAND_HELP)) expect(help.out).toContain(`  ${h.usage}\n      ${h.summary}`);
    const none = await run([]);
    expect([none.code, none.out]).toEqual([2, help.out]);
  });
});

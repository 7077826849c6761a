// Adapter names are folder names in the CLI library and keys in the page's: short and plain.
export class AdapterNameError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AdapterNameError';
  }
}

export function checkAdapterName(name: string | undefined): string {
  if (!name || !/^[A-Za-z0-9][\w.-]{0,63}$/.test(name)) {
    throw new AdapterNameError(`adapter names are 1–64 letters, digits, '.', '_' or '-', starting with a letter or digit; got '${name ?? ''}'`);
  }
  return name;
}

// A part of the page that is not on the first screen: its code (a React.lazy component inside)
// is fetched once it comes within a screen of the viewport, or once the browser is idle after the
// first screen has shown, whichever is first. Until then a placeholder holds its place.
import { Suspense, useEffect, useRef, useState, type ReactNode } from 'react';

/** Requests the work when the main thread is idle (Safari has no requestIdleCallback: a timer). */
function whenIdle(work: () => void): () => void {
  if (typeof requestIdleCallback === 'function') {
    const id = requestIdleCallback(work, { timeout: 2000 });
    return () => cancelIdleCallback(id);
  }
  const id = setTimeout(work, 200);
  return () => clearTimeout(id);
}

export function Deferred({ children, placeholderHeight = 240 }: { children: ReactNode; placeholderHeight?: number }) {
  const [wanted, setWanted] = useState(false);
  const placeholder = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (wanted) return;
    const near = new IntersectionObserver((entries) => entries.some((e) => e.isIntersecting) && setWanted(true), { rootMargin: '100% 0px' });
    if (placeholder.current) near.observe(placeholder.current);
    const cancelIdle = whenIdle(() => setWanted(true));
    return () => {
      near.disconnect();
      cancelIdle();
    };
  }, [wanted]);
  const waiting = <div ref={placeholder} className="deferred-placeholder" style={{ minHeight: placeholderHeight }} aria-busy="true" />;
  return wanted ? <Suspense fallback={waiting}>{children}</Suspense> : waiting;
}

// A list that renders only the rows in view (and a few around them), so ten thousand contacts scroll as
// smoothly as fifty. Rows have one fixed height; the list asks for more when the end comes into view.
import type { ComponentChildren } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";

const OVERSCAN = 8;

interface Props<T> {
  items: readonly T[];
  rowHeight: number;
  label: string;
  renderRow: (item: T, index: number) => ComponentChildren;
  onNearEnd?: () => void;
}

export function VirtualList<T>({ items, rowHeight, label, renderRow, onNearEnd }: Props<T>) {
  const viewport = useRef<HTMLDivElement>(null);
  const [scrollTop, setScrollTop] = useState(0);
  const [height, setHeight] = useState(600);

  useEffect(() => {
    const element = viewport.current;
    if (!element) return;
    const observer = new ResizeObserver(() => setHeight(element.clientHeight));
    observer.observe(element);
    return () => observer.disconnect();
  }, []);

  const first = Math.max(0, Math.floor(scrollTop / rowHeight) - OVERSCAN);
  const last = Math.min(items.length, Math.ceil((scrollTop + height) / rowHeight) + OVERSCAN);
  useEffect(() => {
    if (onNearEnd && last >= items.length - OVERSCAN) onNearEnd();
  }, [last, items.length]);

  return (
    <div
      ref={viewport}
      class="virtual-list"
      role="list"
      aria-label={label}
      tabIndex={0}
      onScroll={(event) => setScrollTop(event.currentTarget.scrollTop)}
    >
      <div style={{ height: `${items.length * rowHeight}px`, position: "relative" }}>
        {items.slice(first, last).map((item, offset) => (
          <div
            role="listitem"
            class="virtual-row"
            key={first + offset}
            style={{ position: "absolute", insetInlineStart: 0, insetInlineEnd: 0, top: `${(first + offset) * rowHeight}px`, height: `${rowHeight}px` }}
          >
            {renderRow(item, first + offset)}
          </div>
        ))}
      </div>
    </div>
  );
}

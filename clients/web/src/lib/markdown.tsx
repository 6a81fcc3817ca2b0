/**
 * Basic markdown for messages, rendered to React elements (never to HTML strings, so user text
 * cannot inject markup): ```fenced code```, `inline code`, **bold**, *italic*, ~~strike~~, and
 * links to http(s) URLs. Everything else is text; newlines are kept by CSS (white-space).
 */
import type { ReactNode } from 'react';

const INLINE =
  /(`[^`\n]+`)|(\*\*[^*\n]+\*\*)|(~~[^~\n]+~~)|(\*[^*\n]+\*|_[^_\n]+_)|(https?:\/\/[^\s<>()]+[^\s<>().,;:!?'"])/g;

function inline(text: string, key: string): ReactNode[] {
  const nodes: ReactNode[] = [];
  let last = 0;
  let n = 0;
  for (const match of text.matchAll(INLINE)) {
    const [token, code, bold, strike, italic, url] = match;
    if (match.index > last) nodes.push(text.slice(last, match.index));
    const k = `${key}.${n++}`;
    if (code !== undefined) nodes.push(<code key={k}>{token.slice(1, -1)}</code>);
    else if (bold !== undefined)
      nodes.push(<strong key={k}>{inline(token.slice(2, -2), k)}</strong>);
    else if (strike !== undefined) nodes.push(<s key={k}>{inline(token.slice(2, -2), k)}</s>);
    else if (italic !== undefined) nodes.push(<em key={k}>{inline(token.slice(1, -1), k)}</em>);
    else if (url !== undefined) {
      nodes.push(
        <a key={k} href={url} target="_blank" rel="noopener noreferrer nofollow">
          {url}
        </a>,
      );
    }
    last = match.index + token.length;
  }
  if (last < text.length) nodes.push(text.slice(last));
  return nodes;
}

export function renderMarkdown(text: string): ReactNode[] {
  const nodes: ReactNode[] = [];
  const parts = text.split(/```(?:[a-z0-9]*\n)?/);
  parts.forEach((part, i) => {
    // Odd parts sit between fences; an unclosed fence leaves its text as it is.
    const closed = i % 2 === 1 && i < parts.length - 1;
    if (closed)
      nodes.push(
        <pre key={`c${i}`}>
          <code>{part.replace(/\n$/, '')}</code>
        </pre>,
      );
    else nodes.push(...inline(i % 2 === 1 ? '```' + part : part, `p${i}`));
  });
  return nodes;
}

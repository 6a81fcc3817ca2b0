import { render } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { renderMarkdown } from '../src/lib/markdown';

function html(text: string): string {
  return render(<p>{renderMarkdown(text)}</p>).container.innerHTML;
}

describe('renderMarkdown', () => {
  it('renders emphasis, code and links as elements', () => {
    expect(html('**bold** *it* ~~gone~~ `x<y`')).toBe(
      '<p><strong>bold</strong> <em>it</em> <s>gone</s> <code>x&lt;y</code></p>',
    );
    expect(html('see https://example.org/a.')).toBe(
      '<p>see <a href="https://example.org/a" target="_blank" rel="noopener noreferrer nofollow">https://example.org/a</a>.</p>',
    );
  });

  it('never turns user text into markup', () => {
    const container = render(
      <p>{renderMarkdown('<img src=x onerror=alert(1)> **<b>x</b>**')}</p>,
    ).container;
    expect(container.querySelector('img')).toBeNull();
    expect(container.querySelector('b')).toBeNull();
    expect(container.textContent).toBe('<img src=x onerror=alert(1)> <b>x</b>');
  });

  it('renders fenced code blocks and leaves an unclosed fence as text', () => {
    expect(html('a\n```js\nlet x = 1;\n```\nb')).toBe(
      '<p>a\n<pre><code>let x = 1;</code></pre>b</p>',
    );
    expect(html('```open')).toBe('<p>```open</p>');
  });

  it('does not link javascript: URLs', () => {
    expect(html('javascript:alert(1)')).toBe('<p>javascript:alert(1)</p>');
  });
});

// A message's HTML made safe to look at: sanitised here on the server (allow-list of tags and
// attributes, no scripts, forms, frames, event handlers, links or remote content), then served
// as its own page for a sandboxed iframe under a CSP that would stop whatever slipped through.
import type { Response } from 'express';
import sanitizeHtml from 'sanitize-html';
import type { Attachment } from 'mailparser';

export const MESSAGE_HTML_VIEWED = 'message.html_viewed';

/**
 * The page's policy: nothing may load but inline styles and data: images (so a tracking pixel
 * or remote font cannot tell the sender the mail was read); no script runs ('sandbox' without
 * allow-scripts); only the archive's own pages may frame it.
 */
export const MESSAGE_HTML_CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; sandbox; frame-ancestors 'self'";

/** Inline (cid:) images are embedded as data: URIs up to this size; larger ones are left out. */
const MAX_INLINE_IMAGE_BYTES = 2 * 1024 * 1024;
/** Image types a browser renders without running anything (SVG can carry script: not listed). */
const INLINE_IMAGE_TYPES = new Set(['image/png', 'image/gif', 'image/jpeg', 'image/webp', 'image/bmp']);
const DATA_IMAGE = /^data:image\/(png|gif|jpeg|webp|bmp);base64,[a-z0-9+/=\s]+$/i;

const ALLOWED_TAGS = [
  ...sanitizeHtml.defaults.allowedTags.filter((t) => t !== 'a'),
  'a', 'img', 'style', 'font', 'center', 'u', 's', 'strike', 'big', 'small', 'hr', 'br', 'span', 'div',
  'table', 'thead', 'tbody', 'tfoot', 'tr', 'td', 'th', 'caption', 'colgroup', 'col',
];
/** Layout and presentation attributes only: no event handlers, no URLs but img src (checked below). */
const COMMON_ATTRIBUTES = ['style', 'class', 'align', 'valign', 'width', 'height', 'dir', 'lang', 'title', 'bgcolor', 'color'];

export interface SanitisedHtml {
  html: string;
  /** Remote resources (images, links) that were removed. */
  remoteBlocked: number;
}

/** Removes everything in CSS that can fetch: url(), @import, image-set(), and old IE expression()/behavior. */
export function scrubCss(css: string): string {
  return css
    .replace(/@import[^;]*;?/gi, '')
    .replace(/url\s*\([^)]*\)/gi, 'none')
    .replace(/image-set\s*\(/gi, 'none(')
    .replace(/expression\s*\(/gi, 'none(')
    .replace(/(-moz-binding|behavior)\s*:/gi, 'x-removed:');
}

/** Sanitises a message's HTML; cid: images are embedded from the message's own attachments. */
export function sanitiseMessageHtml(html: string, attachments: Attachment[] = []): SanitisedHtml {
  let remoteBlocked = 0;
  const byCid = new Map<string, Attachment>();
  for (const a of attachments) if (a.cid) byCid.set(a.cid.replace(/^<|>$/g, '').toLowerCase(), a);

  const inlineImage = (src: string): string | undefined => {
    if (DATA_IMAGE.test(src)) return src;
    const cid = /^cid:(.+)$/i.exec(src)?.[1];
    const att = cid ? byCid.get(decodeURIComponent(cid).replace(/^<|>$/g, '').toLowerCase()) : undefined;
    if (att && INLINE_IMAGE_TYPES.has(att.contentType.toLowerCase()) && att.content.length <= MAX_INLINE_IMAGE_BYTES) {
      return `data:${att.contentType.toLowerCase()};base64,${att.content.toString('base64')}`;
    }
    return undefined;
  };

  const clean = sanitizeHtml(html, {
    allowedTags: ALLOWED_TAGS,
    allowVulnerableTags: true, // <style>: its text is scrubbed below and the CSP blocks every fetch
    allowedAttributes: {
      '*': COMMON_ATTRIBUTES,
      img: [...COMMON_ATTRIBUTES, 'src', 'alt', 'border'],
      a: [...COMMON_ATTRIBUTES, 'name'],
      table: [...COMMON_ATTRIBUTES, 'border', 'cellpadding', 'cellspacing'],
      td: [...COMMON_ATTRIBUTES, 'colspan', 'rowspan', 'nowrap'],
      th: [...COMMON_ATTRIBUTES, 'colspan', 'rowspan', 'nowrap'],
      font: [...COMMON_ATTRIBUTES, 'face', 'size'],
      ol: [...COMMON_ATTRIBUTES, 'start', 'type'],
    },
    allowedSchemes: [],
    allowedSchemesByTag: { img: ['data'] },
    allowProtocolRelative: false,
    parseStyleAttributes: false,
    transformTags: {
      // A link is shown as text with its target in the tooltip: following it from evidence would
      // leave the archive (and tell the sender), so it is not a link any more.
      a: (tagName, attribs) => {
        const { href, ...rest } = attribs;
        if (href) remoteBlocked++;
        if (!href) return { tagName, attribs: rest };
        const shown = /^\s*(https?|mailto):/i.test(href) ? href.trim().slice(0, 500) : 'a link of an unsafe kind (removed)';
        return { tagName, attribs: { ...rest, title: `Link (not followed): ${shown}` } };
      },
      img: (tagName, attribs) => {
        const { src, srcset: _srcset, ...rest } = attribs;
        const inline = src ? inlineImage(src.trim()) : undefined;
        if (inline) return { tagName, attribs: { ...rest, src: inline } };
        if (src) remoteBlocked++;
        return { tagName, attribs: { ...rest, alt: `[image not loaded${rest.alt ? `: ${rest.alt}` : ''}]` } };
      },
      '*': (tagName, attribs) => (attribs.style ? { tagName, attribs: { ...attribs, style: scrubCss(attribs.style) } } : { tagName, attribs }),
    },
  });
  // sanitize-html passes <style> text through as it is; it ends at the first `</style`, so this sees it whole.
  return { html: clean.replace(/(<style[^>]*>)([\s\S]*?)(<\/style>)/gi, (_m, open: string, css: string, close: string) => open + scrubCss(css) + close), remoteBlocked };
}

/** Wraps sanitised HTML in a page of its own; the banner says what was held back. */
export function messageHtmlPage(s: SanitisedHtml): string {
  const note = s.remoteBlocked
    ? `<p style="font:13px system-ui,sans-serif;background:#fff4d6;border:1px solid #f0d58a;padding:4px 8px;margin:0 0 8px">` +
      `${s.remoteBlocked} remote image(s) and link(s) were not loaded or made clickable, so the sender cannot learn this message was opened.</p>`
    : '';
  return `<!doctype html><html><head><meta charset="utf-8"><meta name="referrer" content="no-referrer"><title>Message</title></head><body>${note}${s.html}</body></html>`;
}

/** Answers the sanitised page with the headers that keep it inert even if sanitising missed something. */
export function sendMessageHtml(res: Response, s: SanitisedHtml): void {
  res.set({
    'Content-Type': 'text/html; charset=utf-8',
    'Content-Security-Policy': MESSAGE_HTML_CSP,
    'X-Content-Type-Options': 'nosniff',
    'Cache-Control': 'no-store',
    'Referrer-Policy': 'no-referrer',
    'Cross-Origin-Resource-Policy': 'same-origin',
  });
  res.end(messageHtmlPage(s));
}

// Hostile CSV uploads for POST /imports: well-formed multipart carrying CSV whose cells are markup,
// SQL, odd unicode or the wrong type; files that are not text; headers that do not fit; names
// that are paths or markup; and multipart that is cut off, has no boundary or is not multipart.
import fc from 'fast-check';
import { hostileText, xssText } from './fuzz-helpers.ts';

export interface Upload { body: Buffer; contentType?: string; csrfInHeader: boolean; summary: string }

const HEADERS = {
  products: 'sku,product_name,unit_price,brand,colour,size,rating',
  customers: 'email_address,full_name',
};

const cell = fc.oneof(
  { weight: 3, arbitrary: hostileText.map((s) => s.slice(0, 300)) },
  { weight: 3, arbitrary: xssText },
  { weight: 4, arbitrary: fc.constantFrom('FZ-1', 'Fuzz thing', '9.99', 'Blue', 'M', '3', 'fz@example.test', 'Fuzz Person', '') },
);
const quote = (v: string) => `"${v.replace(/"/g, '""')}"`;

const csv = fc.record({
  kind: fc.constantFrom('products', 'customers') as fc.Arbitrary<keyof typeof HEADERS>,
  rows: fc.array(fc.tuple(fc.array(cell, { minLength: 1, maxLength: 8 }), fc.nat(9)), { minLength: 1, maxLength: 4 }),
  header: fc.oneof({ weight: 8, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: fc.constantFrom('a;b;c', '', 'sku', '\ufeffsku,product_name,unit_price', 'email_address,email_address') }),
  quoted: fc.nat(3).map((n) => n > 0),
}).map(({ kind, rows, header, quoted }) => {
  const width = HEADERS[kind].split(',').length;
  // Mostly rows of the right width (so most files are read and their rows checked); some not.
  const lines = rows.map(([r, odd]) => (odd > 0 ? [...r, ...Array(width).fill('x')].slice(0, width) : r)
    .map((v) => (quoted ? quote(v) : v)).join(','));
  return { kind, text: [header ?? HEADERS[kind], ...lines].join('\r\n') };
});

const file = fc.oneof(
  { weight: 8, arbitrary: csv.map((c) => ({ kind: c.kind as string, content: Buffer.from(c.text, 'utf8') })) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 200 }).map((b) => ({ kind: 'products', content: Buffer.from(b) })) },
  { weight: 1, arbitrary: fc.constantFrom(Buffer.from([0xff, 0xfe, 0x00, 0x41]), Buffer.from('sku,product_name\r\n"unterminated'), Buffer.alloc(0))
    .map((content) => ({ kind: 'products', content })) },
);

export const multipartArb: fc.Arbitrary<Upload> = fc.record({
  file,
  kind: fc.oneof({ weight: 6, arbitrary: fc.constant<string | undefined>('same') }, { weight: 1, arbitrary: hostileText }, { weight: 1, arbitrary: fc.constant(undefined) }),
  filename: fc.oneof(fc.constant('fuzz.csv'), xssText.map((x) => `${x}.csv`), hostileText, fc.constantFrom('../../etc/passwd', 'C:\\x\\y.csv', 'a"b.csv')),
  fileFirst: fc.nat(9).map((n) => n === 0),
  shape: fc.oneof({ weight: 12, arbitrary: fc.constant('ok') }, { weight: 1, arbitrary: fc.constantFrom('cut', 'no-boundary', 'urlencoded', 'two-files', 'wrong-field') }),
  csrfInHeader: fc.boolean(),
}).map(({ file, kind, filename, fileFirst, shape, csrfInHeader }) => {
  const boundary = '----fuzz7MA4YWxkTrZu0gW';
  const k = kind === 'same' ? file.kind : kind;
  const safeName = filename.replace(/[\r\n"]/g, '_');
  const field = (name: string, value: string) => Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`);
  const filePart = (name: string) => Buffer.concat([
    Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"; filename="${safeName}"\r\nContent-Type: text/csv\r\n\r\n`),
    file.content, Buffer.from('\r\n'),
  ]);
  const parts = [k === undefined ? Buffer.alloc(0) : field('kind', k), filePart(shape === 'wrong-field' ? 'upload' : 'file')];
  if (fileFirst) parts.reverse();
  if (shape === 'two-files') parts.push(filePart('file'));
  let body = Buffer.concat([...parts, Buffer.from(`--${boundary}--\r\n`)]);
  let contentType: string | undefined = `multipart/form-data; boundary=${boundary}`;
  if (shape === 'cut') body = body.subarray(0, Math.floor(body.length / 2));
  if (shape === 'no-boundary') contentType = 'multipart/form-data';
  if (shape === 'urlencoded') { contentType = 'application/x-www-form-urlencoded'; body = Buffer.from(`kind=products&file=${encodeURIComponent(file.content.toString('latin1'))}`); }
  const summary = `${shape} kind=${JSON.stringify(k)} file=${JSON.stringify(safeName.slice(0, 40))} ${file.content.length}B: ${JSON.stringify(file.content.toString('utf8').slice(0, 120))}`;
  return { body, contentType, csrfInHeader, summary };
});

export * from './catalogue.ts';
export * from './auth.ts';
export * from './orders.ts';
export * from './stock.ts';
export * from './imports.ts';
export * from './reports.ts';

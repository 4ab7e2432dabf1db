import type { CurrentUser } from './access.ts';

export interface NavLink { href: string; label: string; current: boolean }

const BACK_OFFICE: Array<{ href: string; label: string; adminOnly?: boolean }> = [
  { href: '/dashboard', label: 'Dashboard' },
  { href: '/customers', label: 'Customers' },
  { href: '/products', label: 'Products' },
  { href: '/inventory', label: 'Inventory' },
  { href: '/orders', label: 'Orders' },
  { href: '/shipments', label: 'Shipments' },
  { href: '/stores', label: 'Stores' },
  { href: '/users', label: 'Users', adminOnly: true },
  { href: '/audit', label: 'Audit', adminOnly: true },
];

/** The navigation a user sees, with the link for the current section marked. */
export function navFor(user: CurrentUser | null, url: string): NavLink[] {
  if (!user || user.role === 'customer') return [];
  const path = url.split('?')[0] ?? '/';
  return BACK_OFFICE
    .filter((l) => !l.adminOnly || user.role === 'admin')
    .map((l) => ({ href: l.href, label: l.label, current: path === l.href || path.startsWith(`${l.href}/`) }));
}

// Roles and store scope. Handlers call these; queries use storeScope() in their WHERE clause so
// the database never returns another store's rows to staff.
import type { Role } from '../db/schema/index.ts';
import { forbidden } from './errors.ts';

export interface CurrentUser {
  id: number;
  email: string;
  fullName: string;
  role: Role;
  customerId: number | null;
  /** Stores a staff member works in; empty for admins (who see all) and customers. */
  storeIds: number[];
}

export const isAdmin = (u: CurrentUser | null): boolean => u?.role === 'admin';
export const isBackOffice = (u: CurrentUser | null): boolean => u?.role === 'admin' || u?.role === 'staff';

/** The stores a user may see: 'all' for admins, the assigned list for staff, none for others. */
export function storeScope(u: CurrentUser | null): 'all' | number[] {
  if (u?.role === 'admin') return 'all';
  if (u?.role === 'staff') return u.storeIds;
  return [];
}

export function canAccessStore(u: CurrentUser | null, storeId: number): boolean {
  const scope = storeScope(u);
  return scope === 'all' || scope.includes(storeId);
}

export function assertStoreAccess(u: CurrentUser | null, storeId: number): void {
  if (!canAccessStore(u, storeId)) throw forbidden('You do not work at this store.');
}

export function assertRole(u: CurrentUser | null, ...roles: Role[]): void {
  if (!u || !roles.includes(u.role)) throw forbidden();
}

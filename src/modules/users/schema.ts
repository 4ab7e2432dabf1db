// Account fields for the users pages (forms arrive as strings) and the rules across fields that
// the pages and the API share.
import Type, { type Static } from 'typebox';
import { PASSWORD_MAX } from '../../lib/password.ts';
import { ListParams } from '../../lib/list.ts';

export const USER_NAME_MAX = 200;
export const EMAIL_MESSAGE = 'Enter a valid email address.';
export const NAME_MESSAGE = `Enter the full name (up to ${USER_NAME_MAX} characters).`;
export const ROLE_MESSAGE = 'Choose staff or administrator.';
export const STORES_FOR_STAFF = 'Choose at least one store: staff members see only the stores they are assigned to.';
export const NO_STORES_FOR_ADMINS = 'Only staff members are assigned to stores; administrators see every store.';

const StoreIds = Type.Optional(Type.Array(Type.Integer({ minimum: 1, maximum: 2147483647 }), { maxItems: 500, errorMessage: 'Choose stores from the list.' }));

export const UserCreateForm = Type.Object({
  email: Type.String({ format: 'email', maxLength: 254, errorMessage: EMAIL_MESSAGE }),
  fullName: Type.String({ minLength: 1, maxLength: USER_NAME_MAX, errorMessage: NAME_MESSAGE }),
  role: Type.Union([Type.Literal('staff'), Type.Literal('admin')], { errorMessage: ROLE_MESSAGE }),
  storeIds: StoreIds,
  /** "email": mail a link to choose a password; "set": the admin types an initial password. */
  passwordMode: Type.Optional(Type.Union([Type.Literal('email'), Type.Literal('set')], { errorMessage: 'Choose how the password is set.' })),
  password: Type.Optional(Type.String({ maxLength: PASSWORD_MAX, errorMessage: `Use at most ${PASSWORD_MAX} characters.` })),
});
export type UserCreateForm = Static<typeof UserCreateForm>;

export const UserEditForm = Type.Object({
  email: Type.String({ format: 'email', maxLength: 254, errorMessage: EMAIL_MESSAGE }),
  fullName: Type.String({ minLength: 1, maxLength: USER_NAME_MAX, errorMessage: NAME_MESSAGE }),
  role: Type.Union([Type.Literal('staff'), Type.Literal('admin')], { errorMessage: ROLE_MESSAGE }),
  storeIds: StoreIds,
  version: Type.Integer({ minimum: 1, errorMessage: 'The form is out of date: reload it.' }),
});
export type UserEditForm = Static<typeof UserEditForm>;

export const UsersQuery = Type.Object({
  ...ListParams,
  role: Type.Optional(Type.Union([Type.Literal('admin'), Type.Literal('staff'), Type.Literal('customer')])),
  active: Type.Optional(Type.Boolean()),
  storeId: Type.Optional(Type.Integer({ minimum: 1, maximum: 2147483647 })),
});
export type UsersQuery = Static<typeof UsersQuery>;

/** Checkbox lists arrive as one string or several; parseForm wants an array either way. */
export function withStoreIdArray(body: unknown): Record<string, unknown> {
  const b = { ...(body as Record<string, unknown> ?? {}) };
  if (typeof b.storeIds === 'string') b.storeIds = [b.storeIds];
  return b;
}

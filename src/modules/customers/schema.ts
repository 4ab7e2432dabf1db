// Customer fields as the back office, the API and the CSV import all validate them.
import Type, { type Static } from 'typebox';

export const CUSTOMER_NAME_MAX = 200;

export const CustomerFields = {
  fullName: Type.String({ minLength: 1, maxLength: CUSTOMER_NAME_MAX, errorMessage: `Enter the full name (up to ${CUSTOMER_NAME_MAX} characters).` }),
  emailAddress: Type.String({ format: 'email', maxLength: 254, errorMessage: 'Enter a valid email address.' }),
};

/** The create/edit form (strings from the browser); `version` is the optimistic-lock token. */
export const CustomerForm = Type.Object({
  ...CustomerFields,
  version: Type.Optional(Type.Integer({ minimum: 1, errorMessage: 'The form is out of date: reload it.' })),
});
export type CustomerForm = Static<typeof CustomerForm>;

/** One CSV import row (headers: email_address or emailAddress, full_name or fullName). */
export const CustomerImportRow = Type.Object(CustomerFields);

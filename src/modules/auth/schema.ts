import Type from 'typebox';
import { PASSWORD_MAX, PASSWORD_MIN } from '../../lib/password.ts';

const Email = Type.String({ format: 'email', maxLength: 254, errorMessage: 'Enter a valid email address.' });
const NewPassword = Type.String({ minLength: PASSWORD_MIN, maxLength: PASSWORD_MAX, errorMessage: `Use ${PASSWORD_MIN} to ${PASSWORD_MAX} characters.` });

export const LoginForm = Type.Object({
  email: Type.String({ minLength: 1, maxLength: 254, errorMessage: 'Enter your email address.' }),
  password: Type.String({ minLength: 1, maxLength: PASSWORD_MAX, errorMessage: 'Enter your password.' }),
  next: Type.Optional(Type.String({ maxLength: 2000 })),
});

export const RegisterForm = Type.Object({
  fullName: Type.String({ minLength: 1, maxLength: 200, errorMessage: 'Enter your name (up to 200 characters).' }),
  email: Email,
  password: NewPassword,
  confirm: Type.String({ minLength: 1, maxLength: PASSWORD_MAX, errorMessage: 'Repeat the password.' }),
});

export const ForgotForm = Type.Object({ email: Email });

export const ResetForm = Type.Object({
  token: Type.String({ minLength: 10, maxLength: 200, errorMessage: 'The reset link is incomplete.' }),
  password: NewPassword,
  confirm: Type.String({ minLength: 1, maxLength: PASSWORD_MAX, errorMessage: 'Repeat the password.' }),
});

export const ChangePasswordForm = Type.Object({
  current: Type.String({ minLength: 1, maxLength: PASSWORD_MAX, errorMessage: 'Enter your current password.' }),
  password: NewPassword,
  confirm: Type.String({ minLength: 1, maxLength: PASSWORD_MAX, errorMessage: 'Repeat the new password.' }),
});

export const ConfirmRegistrationForm = Type.Object({
  token: Type.String({ minLength: 10, maxLength: 200, errorMessage: 'The link is incomplete.' }),
  password: Type.String({ minLength: 1, maxLength: PASSWORD_MAX, errorMessage: 'Enter the password you chose when registering.' }),
});

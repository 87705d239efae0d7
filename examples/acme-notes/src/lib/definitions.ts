import { z } from 'zod';

export const CreateNoteSchema = z.object({
  title: z.string().trim().min(1, 'Title is required').max(200),
  body: z.string().max(20_000).default(''),
});

export const UpdateNoteSchema = CreateNoteSchema.extend({
  id: z.string().cuid(),
});

export const LoginSchema = z.object({
  email: z.string().email('Please enter a valid email.').trim(),
  password: z.string().min(1, 'Password is required.'),
});

export const SignupSchema = z.object({
  name: z.string().trim().min(2, 'Name must be at least 2 characters long.'),
  email: z.string().email('Please enter a valid email.').trim(),
  password: z
    .string()
    .min(8, 'Be at least 8 characters long')
    .regex(/[a-zA-Z]/, 'Contain at least one letter.')
    .regex(/[0-9]/, 'Contain at least one number.'),
});

export type FormState =
  | {
      errors?: Record<string, string[] | undefined>;
      message?: string;
    }
  | undefined;

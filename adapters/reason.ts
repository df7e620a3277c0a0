/**
 * The transfer reason as adapters receive it (docs/domain.md "Reasons"), structural and independent of the
 * HTTP layer. The schema lets a worker check a stored record before it goes to a partner; each adapter
 * maps it to its partner's own codes in its wire module.
 */
import { z } from 'zod';

export const SCHOOL_TYPES = [
  'general_high_school', // 普通高中
  'secondary_vocational', // 中等职业学校
  'university', // 普通高校
  'higher_vocational', // 高等职业院校
] as const;
export type SchoolType = (typeof SCHOOL_TYPES)[number];

export const PLACE_BASES = [
  'household_registration', // 户籍所在地
  'origin', // 生源地
  'residence', // 本人或父母居住地
] as const;
export type PlaceBasis = (typeof PLACE_BASES)[number];

export const ABROAD_PURPOSES = [
  'study', // 留学
  'public_assignment', // 因公出国（境）工作
  'private', // 因私出国（境）
] as const;
export type AbroadPurpose = (typeof ABROAD_PURPOSES)[number];

const text = z.string().min(1);
const isoDate = z.iso.date();

export const submitReasonSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('further_study'),
    schoolType: z.enum(SCHOOL_TYPES),
    schoolName: text,
    schoolAddress: text,
  }),
  z.object({ kind: z.literal('employed_with_org'), employerName: text }),
  z.object({ kind: z.literal('employed_without_org'), employerName: text, employerAddress: text }),
  z.object({ kind: z.literal('not_placed'), placeBasis: z.enum(PLACE_BASES), address: text }),
  z.object({
    kind: z.literal('abroad'),
    purpose: z.enum(ABROAD_PURPOSES),
    countryOrRegion: text,
    departureDate: isoDate,
    expectedReturnDate: isoDate.optional(),
    domesticContact: z.object({ name: text, phone: text, relationship: text.optional() }),
  }),
  z.object({ kind: z.literal('enlistment'), reviewingProvinceCode: z.string().regex(/^\d{2}$/) }),
  // No employer name travels for a classified unit (docs/domain.md).
  z.object({ kind: z.literal('classified_unit') }),
  z.object({ kind: z.literal('other'), explanation: text }),
]);

export type SubmitReason = z.infer<typeof submitReasonSchema>;

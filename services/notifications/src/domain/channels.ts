/** What an email and an SMS say, from the notification's title and body. Pure: no I/O. */

export interface Written {
  title: string;
  body: string;
}

/** The longest SMS we send: three concatenated segments of plain GSM text. */
export const SMS_MAX = 459;

export function emailText(n: Written): string {
  return `${n.body}\n\n-- \nSimpleBank. You receive this because e-mail notifications are on in your profile; turn them off there (preferences.email).\n`;
}

export function smsText(n: Written): string {
  const text = `SimpleBank: ${n.title}. ${n.body}`;
  return text.length <= SMS_MAX ? text : `${text.slice(0, SMS_MAX - 1)}…`;
}

/**
 * The environment variables that configure outgoing mail (set by the
 * PartnerPortal construct from `mail` in config/<env>.yaml, read by
 * mailer.ts); kept apart so the constructs need not load the SES client.
 */

/** The verified SES identity mail is sent from, e.g. `no-reply@partners.example.com`. */
export const MAIL_SENDER_ENV = 'MAIL_SENDER';
/** The SES configuration set that records deliveries, bounces and complaints (optional). */
export const MAIL_CONFIGURATION_SET_ENV = 'MAIL_CONFIGURATION_SET';

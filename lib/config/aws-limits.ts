/**
 * AWS hard limits (not adjustable), stated once: the config schema bounds
 * its settings by them, and the audit compares the templates against them.
 */
export const CLOUDFORMATION_MAX_RESOURCES = 500;
export const CLOUDFORMATION_MAX_TEMPLATE_BYTES = 1_000_000;
export const EVENTBRIDGE_TARGETS_PER_RULE = 5;
export const API_DESTINATION_MAX_INVOCATIONS_PER_SECOND = 300;

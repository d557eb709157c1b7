"""Carrying out what was decided: the outbox sender (deliveries to clients, paced, each under the
random_id chosen before its first attempt), private notices to staff in Okdesk, and the loop every
queue runs on."""

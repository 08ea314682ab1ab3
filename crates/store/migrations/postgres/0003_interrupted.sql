-- Version 3: contacts a crashed run left open are finished by the next start
-- as 'interrupted' (crash recovery): a contact result and a leg disposition
-- of their own.
ALTER TABLE contacts DROP CONSTRAINT contacts_result_check;
ALTER TABLE contacts ADD CONSTRAINT contacts_result_check
    CHECK (result IN ('handled', 'abandoned', 'voicemail', 'interrupted'));
ALTER TABLE legs DROP CONSTRAINT legs_disposition_check;
ALTER TABLE legs ADD CONSTRAINT legs_disposition_check
    CHECK (disposition IN ('answered', 'abandoned', 'overflowed', 'timed_out',
                           'callback_requested', 'interrupted'));

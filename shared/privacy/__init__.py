"""Personal data in events: sealed field by field under per-applicant data keys (AES-GCM),
the data keys wrapped by a key-encryption key, erased by destroying a class's key; and
keyed pseudonyms (`identity.py`), so that no stream id or Kafka key is a NIK.

The event store never sees a key: it stores and chains ciphertext. Sealing happens where
events become stored payloads (`shared/repositories/histories.py`), opening where
payloads become events again (applicants, the events consumer, the audit service).
"""

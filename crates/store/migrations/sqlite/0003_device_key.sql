-- HJ 212-2025: the device's SM4 key, sealed with the platform's master key
-- (never stored in clear).
ALTER TABLE devices ADD COLUMN sm4_key_enc TEXT;

package io.postline.mail.queue.codec.internal;

/**
 * Seals what the module stores in Redis, and opens it again. {@link #NONE} stores plaintext;
 * {@link AesGcmCipher} encrypts. Opening accepts plaintext whatever the cipher, so that
 * encryption can be turned on for a queue that already holds messages.
 */
public interface PayloadCipher {
  /** Stores plaintext. */
  PayloadCipher NONE = new PayloadCipher() {
    @Override
    public byte[] seal(byte[] plaintext, String context) {
      return plaintext;
    }

    @Override
    public byte[] open(byte[] stored, String context) {
      if (AesGcmCipher.isSealed(stored)) {
        throw new CorruptPayloadException("stored data is encrypted, but no encryption keys are configured");
      }
      return stored;
    }

    @Override
    public boolean encrypts() {
      return false;
    }
  };

  /**
   * Seals {@code plaintext}.
   *
   * @param context what the data belongs to (a message id, a key): bound to the ciphertext, so
   *     that a sealed value copied to another place does not open there
   */
  byte[] seal(byte[] plaintext, String context);

  /**
   * Opens what {@link #seal} stored with the same {@code context}.
   *
   * @throws CorruptPayloadException if no configured key opens it, or it was tampered with
   */
  byte[] open(byte[] stored, String context);

  /** Whether {@link #seal} encrypts. */
  boolean encrypts();
}

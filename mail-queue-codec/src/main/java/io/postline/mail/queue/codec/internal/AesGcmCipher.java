package io.postline.mail.queue.codec.internal;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.LinkedHashMap;
import java.util.Map;
import javax.crypto.Cipher;
import javax.crypto.SecretKey;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * AES-GCM from the JDK ({@code AES/GCM/NoPadding}, 96-bit random IV, 128-bit tag). Writes with
 * the current key; reads with whichever configured key the stored value names.
 *
 * <p>Stored format: {@code 0x00 'P' 'L' 'E'}, a format byte {@code 1}, the key id's length (one
 * byte) and the key id in UTF-8, the 12-byte IV, then the ciphertext with its tag. The context
 * (a message id, a key name) is the additional authenticated data. Plaintext JSON never starts
 * with {@code 0x00}, so the two never mix up.
 */
public final class AesGcmCipher implements PayloadCipher {
  private static final byte[] MAGIC = {0, 'P', 'L', 'E'};
  private static final byte FORMAT = 1;
  private static final int IV_BYTES = 12;
  private static final int TAG_BITS = 128;
  private static final SecureRandom RANDOM = new SecureRandom();

  private final String currentId;
  private final byte[] currentIdBytes;
  private final Map<String, SecretKey> keys;

  /**
   * Creates the cipher.
   *
   * @param currentId the id of the key new values are sealed with
   * @param keys every key that may open stored values, by id (16, 24 or 32 bytes each)
   */
  public AesGcmCipher(String currentId, Map<String, byte[]> keys) {
    if (!keys.containsKey(currentId)) {
      throw new IllegalArgumentException("the current key " + currentId + " is not among the keys");
    }
    this.currentId = currentId;
    this.currentIdBytes = currentId.getBytes(StandardCharsets.UTF_8);
    Map<String, SecretKey> copy = new LinkedHashMap<>();
    keys.forEach((id, bytes) -> copy.put(id, new SecretKeySpec(bytes, "AES")));
    this.keys = Map.copyOf(copy);
  }

  static boolean isSealed(byte[] stored) {
    if (stored.length < MAGIC.length) {
      return false;
    }
    for (int i = 0; i < MAGIC.length; i++) {
      if (stored[i] != MAGIC[i]) {
        return false;
      }
    }
    return true;
  }

  @Override
  public byte[] seal(byte[] plaintext, String context) {
    byte[] iv = new byte[IV_BYTES];
    RANDOM.nextBytes(iv);
    try {
      Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
      cipher.init(Cipher.ENCRYPT_MODE, keys.get(currentId), new GCMParameterSpec(TAG_BITS, iv));
      cipher.updateAAD(context.getBytes(StandardCharsets.UTF_8));
      byte[] sealed = cipher.doFinal(plaintext);
      ByteBuffer out = ByteBuffer.allocate(MAGIC.length + 2 + currentIdBytes.length + IV_BYTES + sealed.length);
      out.put(MAGIC).put(FORMAT).put((byte) currentIdBytes.length).put(currentIdBytes).put(iv).put(sealed);
      return out.array();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-GCM is not available in this JDK", e);
    }
  }

  @Override
  public byte[] open(byte[] stored, String context) {
    if (!isSealed(stored)) {
      return stored;
    }
    ByteBuffer in = ByteBuffer.wrap(stored);
    in.position(MAGIC.length);
    if (in.remaining() < 2 || in.get() != FORMAT) {
      throw new CorruptPayloadException("stored data has an unknown encryption format");
    }
    int idLength = in.get() & 0xff;
    if (in.remaining() < idLength + IV_BYTES + TAG_BITS / 8) {
      throw new CorruptPayloadException("stored encrypted data is truncated");
    }
    byte[] idBytes = new byte[idLength];
    in.get(idBytes);
    String keyId = new String(idBytes, StandardCharsets.UTF_8);
    SecretKey key = keys.get(keyId);
    if (key == null) {
      throw new CorruptPayloadException("stored data is encrypted with key " + keyId
          + ", which is not among the configured keys " + keys.keySet());
    }
    byte[] iv = new byte[IV_BYTES];
    in.get(iv);
    try {
      Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
      cipher.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, iv));
      cipher.updateAAD(context.getBytes(StandardCharsets.UTF_8));
      return cipher.doFinal(stored, in.position(), in.remaining());
    } catch (javax.crypto.AEADBadTagException e) {
      throw new CorruptPayloadException("stored data does not open with key " + keyId
          + ": it was changed, or belongs elsewhere");
    } catch (GeneralSecurityException e) {
      throw new CorruptPayloadException("stored data does not open with key " + keyId, e);
    }
  }

  @Override
  public boolean encrypts() {
    return true;
  }

  @Override
  public String toString() {
    return "AesGcmCipher[current=" + currentId + ", keys=" + keys.keySet() + "]";
  }
}

package io.postline.mail.spring;

import io.postline.mail.spi.ProviderSettings;
import java.util.Locale;
import org.springframework.boot.actuate.endpoint.SanitizableData;
import org.springframework.boot.actuate.endpoint.SanitizingFunction;

/**
 * Masks Postline's secrets in {@code /actuator/configprops} and {@code /actuator/env}, whatever
 * form the key takes there ({@code postline.mail.providers.primary.dsn},
 * {@code POSTLINE_MAIL_PROVIDERS_PRIMARY_DSN}): DSNs and the Redis URL keep everything but their
 * secrets ({@code smtp://user:****@host:587}); passwords, encryption keys, the suppression hash key, webhook and
 * unsubscribe keys, secret-like provider options and DKIM / S/MIME keys (PEM text, path, PKCS#12 password)
 * are replaced whole.
 */
final class PostlineSanitizingFunction implements SanitizingFunction {

  @Override
  public SanitizableData apply(SanitizableData data) {
    Object value = data.getValue();
    if (value == null) {
      return data;
    }
    String key = normalize(data.getKey());
    if (!key.startsWith("postline.mail.")) {
      return data;
    }
    if (key.endsWith(".dsn") || key.equals("postline.mail.redis.url")) {
      return data.withValue(maskUri(value.toString()));
    }
    String last = key.substring(key.lastIndexOf('.') + 1);
    if (last.equals("password") || last.equals("encryptionkeys") || last.equals("username")
        || last.equals("hashkey") || last.equals("signingkey") || last.equals("signingkeys")
        || last.equals("verificationkey")
        || (key.contains(".options.") && ProviderSettings.isSecret(last))
        // DKIM and S/MIME keys: the PEM text, a PKCS#12 password and, like the DSN's dkim.key, a key's path.
        || last.equals("keypem") || last.equals("keypassword") || last.equals("keyfile")) {
      return data.withSanitizedValue();
    }
    return data;
  }

  /** Lower case, '_' as '.', no '-' and no list or map brackets: one form for every source. */
  static String normalize(String key) {
    return key.toLowerCase(Locale.ROOT).replace('_', '.').replace("-", "").replace("[", ".").replace("]", "");
  }

  static String maskUri(String value) {
    try {
      return ProviderSettings.parse(value.strip()).maskedDsn();
    } catch (RuntimeException e) {
      return SanitizableData.SANITIZED_VALUE;
    }
  }
}

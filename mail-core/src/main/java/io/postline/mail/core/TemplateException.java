package io.postline.mail.core;

import io.postline.mail.MailException;
import org.jspecify.annotations.Nullable;

/**
 * A template could not be rendered: it does not exist, lacks a part, does not compile, or (in
 * strict mode) refers to a variable the model does not have. Nothing was sent.
 */
public class TemplateException extends MailException {
  private static final long serialVersionUID = 1L;

  /** Creates the exception. */
  public TemplateException(String message) {
    super(message);
  }

  /** Creates the exception with its cause. */
  public TemplateException(String message, @Nullable Throwable cause) {
    super(message, cause);
  }
}

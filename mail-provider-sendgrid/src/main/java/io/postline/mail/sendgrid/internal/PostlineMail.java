package io.postline.mail.sendgrid.internal;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.sendgrid.helpers.mail.Mail;
import com.sendgrid.helpers.mail.objects.Email;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * sendgrid-java's {@link Mail} plus {@code reply_to_list}, which the v3 API accepts (instead of
 * {@code reply_to}) for more than one reply-to address but the helper does not model.
 */
final class PostlineMail extends Mail {
  @JsonProperty("reply_to_list")
  @JsonInclude(JsonInclude.Include.NON_NULL)
  private @Nullable List<Email> replyToList;

  void addReplyToList(Email email) {
    if (replyToList == null) {
      replyToList = new ArrayList<>();
    }
    replyToList.add(email);
  }
}

package io.postline.mail.core;

import io.postline.mail.event.MailEvent;
import io.postline.mail.event.MailListener;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** Keeps every event it receives, for assertions. */
final class RecordingListener implements MailListener {
  private final List<MailEvent> events = new CopyOnWriteArrayList<>();

  @Override
  public void onEvent(MailEvent event) {
    events.add(event);
  }

  List<MailEvent> events() {
    return List.copyOf(events);
  }

  List<String> types() {
    return events.stream().map(MailEvent::type).toList();
  }

  <T extends MailEvent> List<T> ofType(Class<T> type) {
    return events.stream().filter(type::isInstance).map(type::cast).toList();
  }
}

package io.postline.mail.bench;

import java.util.List;

/** A load-harness scenario that adds its rows to the table. */
interface Scenario {
  /** Runs the scenario and adds its rows. */
  void run(ResultTable table) throws Exception;

  /** The scenario's name, for its row when it fails. */
  default String name() {
    return getClass().getSimpleName();
  }

  /** The load scenarios, in order. */
  static List<Scenario> loaded() {
    return List.of(new SmtpThroughputScenario(), new RedisQueueScenario(), new JdbcQueueScenario(),
        new SmtpLinkScenario());
  }
}

package io.postline.mail.bench;

import com.github.mustachejava.DefaultMustacheFactory;
import com.github.mustachejava.Mustache;
import io.postline.mail.core.RenderedTemplate;
import io.postline.mail.core.Templates;
import java.io.StringWriter;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * Scenario 2: rendering a welcome email (subject, 2 KB HTML, text) through Postline's templates,
 * against raw mustache.java with the three templates compiled once and cached by the caller.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class TemplateBenchmark {
  private Templates templates;
  private Mustache subject;
  private Mustache html;
  private Mustache text;
  private Map<String, Object> model;

  @Setup
  public void setUp() {
    templates = Templates.classpath("bench/");
    DefaultMustacheFactory factory = new DefaultMustacheFactory("bench");
    subject = factory.compile("welcome.subject.mustache");
    html = factory.compile("welcome.html.mustache");
    text = factory.compile("welcome.text.mustache");
    model = Map.of("name", "Ann <Admin>", "shop", "Postline Shop", "plan", "Pro", "account", "A-1042",
        "link", "https://shop.example.org/dashboard?u=1042&ref=welcome");
  }

  @Benchmark
  public RenderedTemplate postlineTemplates() {
    return templates.render("welcome", Locale.ROOT, model);
  }

  @Benchmark
  public String[] rawMustache() {
    return new String[] {render(subject).strip(), render(html), render(text)};
  }

  private String render(Mustache mustache) {
    StringWriter out = new StringWriter(2048);
    mustache.execute(out, model);
    return out.toString();
  }
}

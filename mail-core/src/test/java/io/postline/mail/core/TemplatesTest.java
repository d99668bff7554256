package io.postline.mail.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TemplatesTest {
  private final Templates templates = Templates.classpath("mail/");
  private final Map<String, Object> model = Map.of("name", "Ann & Bob", "plan", "<b>Pro</b>");

  @Test
  void rendersSubjectHtmlAndText() {
    RenderedTemplate r = templates.render("welcome", Locale.ROOT, model);

    assertThat(r.subject()).isEqualTo("Welcome, Ann & Bob!");
    assertThat(r.text()).contains("Hello Ann & Bob, your plan is <b>Pro</b>.\n");
    assertThat(r.html()).contains("<p>Hello Ann &amp; Bob, your plan is &lt;b&gt;Pro&lt;/b&gt;.</p>\n");
    assertThat(r.locale()).isEqualTo(Locale.ROOT);
  }

  @Test
  void fallsBackFromCountryToLanguageToDefault() {
    RenderedTemplate swiss = templates.render("welcome", new Locale("de", "CH"), model);
    assertThat(swiss.subject()).isEqualTo("Willkommen, Ann & Bob!");
    assertThat(swiss.locale()).isEqualTo(Locale.GERMAN);
    assertThat(swiss.text()).as("the de variant has no text part; nothing is borrowed from the default").isEmpty();

    RenderedTemplate french = templates.render("welcome", Locale.FRANCE, model);
    assertThat(french.subject()).isEqualTo("Welcome, Ann & Bob!");
    assertThat(french.locale()).isEqualTo(Locale.ROOT);
  }

  @Test
  void templatesInFoldersAndSections() {
    RenderedTemplate r = templates.render("billing/invoice", Locale.ROOT,
        Map.of("number", "42", "total", "9.99", "items", List.of("pen", "ink")));
    assertThat(r.subject()).isEqualTo("Invoice 42");
    assertThat(r.text()).contains("Total: 9.99\n- pen\n- ink\n");
    assertThat(r.html()).isEmpty();
  }

  @Test
  void aMissingVariableIsAnErrorNamingItAndWhereItIs() {
    assertThatThrownBy(() -> templates.render("welcome", Locale.ROOT, Map.of("name", "Ann")))
        .isInstanceOf(TemplateException.class)
        .hasMessageContaining("'plan'")
        .hasMessageContaining("welcome.text.mustache line 1");
  }

  @Test
  void lenientTemplatesRenderAMissingVariableAsEmpty() {
    Templates lenient = Templates.builder().classpath("mail/").strict(false).build();
    RenderedTemplate r = lenient.render("welcome", Locale.ROOT, Map.of("name", "Ann"));
    assertThat(r.text()).contains("Hello Ann, your plan is .\n");
  }

  @Test
  void aMissingSectionRendersNothingEvenWhenStrict() {
    RenderedTemplate r = templates.render("billing/invoice", Locale.ROOT, Map.of("number", "1", "total", "0"));
    assertThat(r.text()).contains("Total: 0\n");
  }

  @Test
  void aMissingTemplateNamesEveryFileTried() {
    assertThatThrownBy(() -> templates.render("farewell", new Locale("de", "CH"), model))
        .isInstanceOf(TemplateException.class)
        .hasMessageContaining("no template 'farewell' for locale de_CH in classpath:mail/")
        .hasMessageContaining("farewell_de_CH, farewell_de, farewell");
  }

  @Test
  void aTemplateNeedsASubjectAndABody() {
    assertThatThrownBy(() -> templates.render("nosubject", Locale.ROOT, model))
        .isInstanceOf(TemplateException.class).hasMessageContaining("has no subject part");
    assertThatThrownBy(() -> templates.render("nobody", Locale.ROOT, model))
        .isInstanceOf(TemplateException.class).hasMessageContaining("has a subject but no");
  }

  @Test
  void directoryTemplatesAreCompiledOnceAndCached(@TempDir Path dir) throws Exception {
    Files.writeString(dir.resolve("note.subject.mustache"), "Note for {{name}}");
    Files.writeString(dir.resolve("note.text.mustache"), "v1 {{name}}");
    Templates fromDir = Templates.directory(dir);
    assertThat(fromDir.render("note", Locale.ROOT, Map.of("name", "Ann")).text()).contains("v1 Ann");

    Files.writeString(dir.resolve("note.text.mustache"), "v2 {{name}}");
    assertThat(fromDir.render("note", Locale.ROOT, Map.of("name", "Ann")).text())
        .as("served from the cache").contains("v1 Ann");
  }

  @Test
  void directoryTemplatesCannotEscapeTheirFolder(@TempDir Path dir) throws Exception {
    Path inside = Files.createDirectory(dir.resolve("templates"));
    Files.writeString(dir.resolve("secret.subject.mustache"), "outside");
    Files.writeString(dir.resolve("secret.text.mustache"), "outside");
    Templates fromDir = Templates.directory(inside);
    assertThatThrownBy(() -> fromDir.render("../secret", Locale.ROOT, Map.of()))
        .isInstanceOf(TemplateException.class).hasMessageContaining("no template");
  }
}

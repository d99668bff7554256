package io.postline.mail.core.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.postline.mail.core.TestSecrets;
import io.postline.mail.spi.MailProvider;
import io.postline.mail.spi.MailProviderFactory;
import io.postline.mail.spi.ProviderSettings;
import java.io.IOException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ProviderRegistryTest {

  /** A factory for the scheme "memory" a second time. */
  public static final class SecondMemoryFactory implements MailProviderFactory {
    @Override
    public String scheme() {
      return "memory";
    }

    @Override
    public MailProvider create(ProviderSettings settings) {
      throw new UnsupportedOperationException();
    }
  }

  /** A factory that cannot even be instantiated. */
  public static final class BrokenFactory implements MailProviderFactory {
    public BrokenFactory() {
      throw new IllegalStateException("cannot start");
    }

    @Override
    public String scheme() {
      return "broken";
    }

    @Override
    public MailProvider create(ProviderSettings settings) {
      throw new UnsupportedOperationException();
    }
  }

  /** A factory that rejects every DSN. */
  public static final class PickyFactory implements MailProviderFactory {
    @Override
    public String scheme() {
      return "picky";
    }

    @Override
    public MailProvider create(ProviderSettings settings) {
      settings.requireKnownOptions(java.util.Set.of("region"));
      throw new IllegalArgumentException("unreachable");
    }
  }

  private static ClassLoader withServices(Path dir, String... factories) throws IOException {
    Path services = Files.createDirectories(dir.resolve("META-INF/services"));
    Files.writeString(services.resolve(MailProviderFactory.class.getName()), String.join("\n", factories) + "\n");
    return new URLClassLoader(new URL[] {dir.toUri().toURL()}, ProviderRegistryTest.class.getClassLoader());
  }

  @Test
  void findsTheInMemoryFactoryOnTheClasspath() {
    ProviderRegistry registry = ProviderRegistry.load(getClass().getClassLoader());
    assertThat(registry.schemes()).contains("memory");
    assertThat(registry.create(ProviderSettings.parse("memory://registry-test")).name()).isEqualTo("memory");
  }

  @Test
  void anUnknownSchemeNamesTheAvailableOnesAndMasksTheDsn() {
    ProviderRegistry registry = ProviderRegistry.load(getClass().getClassLoader());
    assertThatThrownBy(() -> registry.create(ProviderSettings.parse("smpt://user:" + TestSecrets.PASSWORD + "@host").withName("primary")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("no mail provider for the scheme 'smpt' of provider primary")
        .hasMessageContaining("smpt://user:****@host")
        .hasMessageContaining("available schemes: [memory]")
        .hasMessageNotContaining(TestSecrets.PASSWORD);
  }

  @Test
  void twoFactoriesForOneSchemeAreAnError(@TempDir Path dir) throws IOException {
    ClassLoader loader = withServices(dir, SecondMemoryFactory.class.getName());
    assertThatThrownBy(() -> ProviderRegistry.load(loader))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("two mail provider factories claim the scheme 'memory'")
        .hasMessageContaining(InMemoryProviderFactory.class.getName())
        .hasMessageContaining(SecondMemoryFactory.class.getName());
  }

  @Test
  void aFactoryThatFailsToLoadIsSkippedAndReported(@TempDir Path dir) throws IOException {
    ClassLoader loader = withServices(dir, BrokenFactory.class.getName(), "com.example.Missing");
    ProviderRegistry registry = ProviderRegistry.load(loader);

    assertThat(registry.schemes()).containsExactly("memory");
    assertThatThrownBy(() -> registry.create(ProviderSettings.parse("broken://x")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("factories that failed to load")
        .hasMessageContaining(BrokenFactory.class.getName())
        .hasMessageContaining("com.example.Missing");
  }

  @Test
  void aFactoryRejectingItsSettingsIsWrappedWithTheProviderName(@TempDir Path dir) throws IOException {
    ProviderRegistry registry = ProviderRegistry.load(withServices(dir, PickyFactory.class.getName()));
    assertThatThrownBy(() -> registry.create(
            ProviderSettings.parse("picky://user:" + TestSecrets.PASSWORD + "@host?regoin=eu&apiKey=" + TestSecrets.API_KEY).withName("main")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("provider main (picky://user:****@host?regoin=eu&apiKey=****) could not be created")
        .hasMessageContaining("unknown option(s) [apiKey, regoin]")
        .hasMessageNotContaining(TestSecrets.API_KEY)
        .hasMessageNotContaining(TestSecrets.PASSWORD);
  }
}

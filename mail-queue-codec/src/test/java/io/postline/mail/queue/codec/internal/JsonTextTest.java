package io.postline.mail.queue.codec.internal;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.util.ByteArrayBuilder;
import java.io.IOException;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * {@link Json#writeText} writes exactly the bytes Jackson's {@code writeString} writes, so that a
 * payload stays what the previous release wrote and reads: every ASCII character, every control
 * character, long and short strings, and strings that are not ASCII (left to Jackson).
 */
class JsonTextTest {

  private static byte[] write(String s, boolean ours) throws IOException {
    ByteArrayBuilder out = new ByteArrayBuilder();
    try (JsonGenerator g = Json.FACTORY.createGenerator(out)) {
      g.writeStartObject();
      g.writeFieldName("text");
      if (ours) {
        Json.writeText(g, s);
      } else {
        g.writeString(s);
      }
      g.writeEndObject();
    }
    return out.toByteArray();
  }

  private static void assertSame(String s) throws IOException {
    assertThat(new String(write(s, true), java.nio.charset.StandardCharsets.UTF_8))
        .isEqualTo(new String(write(s, false), java.nio.charset.StandardCharsets.UTF_8));
  }

  @Test
  void everyAsciiCharacterInALongStringIsWrittenAsJacksonWritesIt() throws IOException {
    StringBuilder b = new StringBuilder();
    for (int round = 0; round < 4; round++) {
      for (char c = 0; c < 128; c++) {
        b.append(c).append("abc");
      }
    }
    assertSame(b.toString());
  }

  @Test
  void bodiesWithLineBreaksQuotesAndNoEscapesAtAllAreTheSame() throws IOException {
    String line = "<tr><td colspan=\"3\">Tracking PL-100001-DE \\ path</td></tr>\r\n";
    assertSame(line.repeat(60));
    assertSame("x".repeat(5_000));
    assertSame("\r\n".repeat(300));
    assertSame("\"" + "y".repeat(400) + "\u0001");
  }

  @Test
  void randomAsciiStringsOfEveryLengthAroundTheThresholdAreTheSame() throws IOException {
    Random random = new Random(42);
    for (int n = 200; n < 320; n++) {
      StringBuilder b = new StringBuilder();
      for (int i = 0; i < n; i++) {
        b.append((char) (random.nextInt(10) == 0 ? random.nextInt(32) : 32 + random.nextInt(96)));
      }
      assertSame(b.toString());
    }
  }

  @Test
  void anEscapeAtEveryPlaceOfAnEightByteWordIsFoundAndDenseEscapesGrowTheOutput() throws IOException {
    for (char escaped : new char[] {'"', '\\', '\n', '\u0001', '\u001f'}) {
      for (int n = 256; n < 274; n++) {
        for (int at = 0; at < n; at++) {
          char[] text = "a~ ]!#[".repeat(n / 7 + 1).substring(0, n).toCharArray();
          text[at] = escaped;
          assertSame(new String(text));
        }
      }
    }
    assertSame("\u0001".repeat(500));
    assertSame("\u001f\"".repeat(300) + "tail");
  }

  @Test
  void stringsThatAreNotAsciiOrShortAreLeftToJackson() throws IOException {
    assertSame("Grüße aus Köln, \"Café\"\r\n".repeat(30));
    assertSame("emoji \uD83D\uDCE8 and a line\n".repeat(30));
    assertSame("short\r\n");
    assertSame("");
  }
}

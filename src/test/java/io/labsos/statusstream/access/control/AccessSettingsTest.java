package io.labsos.statusstream.access.control;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class AccessSettingsTest {

  private static String publicPem() {
    try (var in = AccessSettingsTest.class.getResourceAsStream("/jwt/public.pem")) {
      return new String(in.readAllBytes(), java.nio.charset.StandardCharsets.US_ASCII);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Settings as an operator would give them: a null is a setting left unset. */
  static AccessSettings settings(String location, String inline, String issuer) {
    var settings = new AccessSettings();
    settings.keyLocationText = Optional.ofNullable(location);
    settings.inlineKeyText = Optional.ofNullable(inline);
    settings.issuerText = Optional.ofNullable(issuer);
    settings.audiencesText = Optional.empty();
    settings.clockSkewText = "30";
    settings.keysKeepText = "3600";
    settings.readAllProjectsGroupsText = Optional.empty();
    settings.algorithmText = Optional.empty();
    settings.tokenCookieText = AccessSettings.DEFAULT_TOKEN_COOKIE;
    settings.originsText = Optional.empty();
    settings.maxStreamsText = "16";
    settings.maxPollsText = "4";
    return settings;
  }

  private static AccessSettings initialized(AccessSettings settings) {
    settings.init();
    return settings;
  }

  @Test
  void anInlinePemAndAnIssuerAreEnough() {
    var settings = initialized(settings(null, publicPem(), " https://issuer.test "));
    assertThat(settings.problems()).isEmpty();
    assertThat(settings.issuer()).isEqualTo("https://issuer.test");
    assertThat(settings.keys()).isInstanceOf(InlineKeys.class);
    assertThat(settings.keys().keys()).hasSize(1);
    assertThat(settings.audiences()).isEmpty();
  }

  @Test
  void withoutIssuerOrKeyTheSettingsSayWhatIsMissing() {
    assertThat(initialized(settings(null, null, null)).problems())
        .containsExactly(AccessSettings.NO_ISSUER, AccessSettings.NO_KEY);
    assertThat(initialized(settings("/keys.pem", publicPem(), "i")).problems())
        .containsExactly(AccessSettings.TWO_KEYS);
    assertThat(initialized(settings(null, "not a key", "i")).problems())
        .containsExactly(AccessSettings.BAD_INLINE_KEY);
  }

  @Test
  void keysComeOverHttpsOrFromThisHostOnly() {
    assertThat(initialized(settings("http://keys.example.org/jwks", null, "i")).problems())
        .containsExactly(AccessSettings.PLAIN_HTTP);
    assertThat(initialized(settings("https:///jwks", null, "i")).problems())
        .containsExactly(AccessSettings.BAD_URL);
    for (var local :
        new String[] {"http://localhost:8080/jwks", "http://127.0.0.2/j", "http://[::1]:1/j"}) {
      var settings = initialized(settings(local, null, "i"));
      assertThat(settings.problems()).as(local).isEmpty();
      assertThat(settings.keys()).isInstanceOf(RemoteKeySet.class);
    }
    assertThat(AccessSettings.isLoopback("localhost.example.org")).isFalse();
    assertThat(AccessSettings.isLoopback("10.0.0.1")).isFalse();
  }

  @Test
  void aLocationThatIsNoUrlIsAFileReadWhenAsked(@org.junit.jupiter.api.io.TempDir Path dir)
      throws IOException {
    var file = dir.resolve("key.pem");
    Files.writeString(file, publicPem());
    var settings = initialized(settings("file:" + file, null, "i"));
    assertThat(settings.problems()).isEmpty();
    assertThat(settings.keys().keys()).hasSize(1);
  }

  @Test
  void nobodyReadsEveryProjectUnlessGroupsAreNamed() {
    var settings = initialized(settings(null, publicPem(), "i"));
    assertThat(settings.readAllProjectsGroups()).isEmpty();
    assertThat(settings.problems()).isEmpty();

    var blank = settings(null, publicPem(), "i");
    blank.readAllProjectsGroupsText = Optional.of(" , ");
    assertThat(initialized(blank).readAllProjectsGroups()).isEmpty();
  }

  @Test
  void groupsThatReadEveryProjectNeedAudiences() {
    var without = settings(null, publicPem(), "i");
    without.readAllProjectsGroupsText = Optional.of("status-reader");
    assertThat(initialized(without).problems())
        .containsExactly(AccessSettings.READ_ALL_WITHOUT_AUDIENCES);

    var with = settings(null, publicPem(), "i");
    with.readAllProjectsGroupsText = Optional.of(" status-reader , dashboards ");
    with.audiencesText = Optional.of("status-stream");
    initialized(with);
    assertThat(with.problems()).isEmpty();
    assertThat(with.readAllProjectsGroups())
        .containsExactlyInAnyOrder("status-reader", "dashboards");
    assertThat(with.audiences()).containsExactly("status-stream");
  }

  @Test
  void everySupportedAlgorithmUnlessOneIsNamed() {
    assertThat(initialized(settings(null, publicPem(), "i")).algorithms())
        .containsExactly("RS256", "RS384", "RS512", "PS256", "ES256", "ES384");
    var one = settings(null, publicPem(), "i");
    one.algorithmText = Optional.of(" ES256 ");
    assertThat(initialized(one).algorithms()).containsExactly("ES256");
    assertThat(one.problems()).isEmpty();
  }

  @Test
  void anAlgorithmWeDoNotSupportIsRefused() {
    for (var algorithm : new String[] {"HS256", "none", "rs256", "RS256,ES256", "EdDSA"}) {
      var settings = settings(null, publicPem(), "i");
      settings.algorithmText = Optional.of(algorithm);
      assertThat(initialized(settings).problems())
          .as(algorithm)
          .containsExactly(AccessSettings.BAD_ALGORITHM);
    }
    assertThat(AccessSettings.BAD_ALGORITHM)
        .isEqualTo(
            "MP_JWT_VERIFY_PUBLICKEY_ALGORITHM is not one of RS256, RS384, RS512, PS256, ES256,"
                + " ES384");
  }

  @Test
  void theTokenCookieIsNamedByTheSettingOrItsDefault() {
    assertThat(initialized(settings(null, publicPem(), "i")).tokenCookie())
        .isEqualTo("status_stream_token");
    var named = settings(null, publicPem(), "i");
    named.tokenCookieText = "__Host-idp_session";
    assertThat(initialized(named).tokenCookie()).isEqualTo("__Host-idp_session");
    for (var bad : new String[] {"a b", "a;b", "a=b", "t\u00e9", " "}) {
      var settings = settings(null, publicPem(), "i");
      settings.tokenCookieText = bad;
      assertThat(initialized(settings).problems())
          .as(bad)
          .containsExactly(AccessSettings.BAD_COOKIE);
    }
  }

  @Test
  void listsIgnoreBlanksAroundItemsAndEmptyItems() {
    assertThat(AccessSettings.items(Optional.of(" a , b,, c ,"))).containsExactly("a", "b", "c");
    assertThat(AccessSettings.items(Optional.of(" , "))).isEmpty();
    assertThat(AccessSettings.items(Optional.empty())).isEmpty();
  }

  @Test
  void theDefaultsAreTheDocumentedOnes() {
    var settings = initialized(settings(null, publicPem(), "i"));
    assertThat(settings.problems()).isEmpty();
    assertThat(settings.clockSkewSeconds()).isEqualTo(30);
    assertThat(settings.allowedOrigins()).isEmpty();
    assertThat(settings.maxStreamsPerUser()).isEqualTo(16);
    assertThat(settings.maxPollsPerUser()).isEqualTo(4);
  }

  @Test
  void limitsAndSkewAreTakenAsGiven() {
    var settings = settings(null, publicPem(), "i");
    settings.clockSkewText = "0";
    settings.maxStreamsText = " 2 ";
    settings.maxPollsText = "1";
    initialized(settings);
    assertThat(settings.problems()).isEmpty();
    assertThat(settings.clockSkewSeconds()).isZero();
    assertThat(settings.maxStreamsPerUser()).isEqualTo(2);
    assertThat(settings.maxPollsPerUser()).isEqualTo(1);
  }

  @Test
  void aBadSkewOrKeepTimeIsRefusedByNameAndNoTokenIsVerified() {
    var settings = settings(null, publicPem(), "i");
    settings.clockSkewText = "30s";
    settings.keysKeepText = "-1";
    initialized(settings);
    assertThat(settings.verificationProblems())
        .containsExactly(
            "MP_JWT_VERIFY_CLOCK_SKEW must be a whole number from 0 to 2147483647",
            "MP_JWT_KEYS_KEEP_SECONDS must be a whole number, 0 or more");
    assertThat(settings.problems()).isEqualTo(settings.verificationProblems());
    assertThat(settings.clockSkewSeconds()).isEqualTo(30);
  }

  @Test
  void badLimitsAreRefusedByNameButTokensAreStillVerified() {
    var settings = settings(null, publicPem(), "i");
    settings.maxStreamsText = "0";
    settings.maxPollsText = "many";
    initialized(settings);
    assertThat(settings.problems())
        .containsExactly(
            "STREAM_MAX_PER_USER must be a whole number from 1 to 2147483647",
            "POLL_MAX_PER_USER must be a whole number from 1 to 2147483647");
    assertThat(settings.verificationProblems()).isEmpty();
    assertThat(settings.maxStreamsPerUser()).isEqualTo(16);
    assertThat(settings.maxPollsPerUser()).isEqualTo(4);
  }

  @Test
  void originsAreExactAndBlanksAroundThemIgnored() {
    var settings = settings(null, publicPem(), "i");
    settings.originsText = Optional.of(" https://App.test , http://localhost:8080,,");
    initialized(settings);
    assertThat(settings.problems()).isEmpty();
    assertThat(settings.allowedOrigins())
        .containsExactlyInAnyOrder("https://app.test", "http://localhost:8080");
  }

  @Test
  void oneEntryThatIsNoOriginAllowsNoneAndIsRefused() {
    for (var bad :
        new String[] {"https://a.test/", "https://a.test/app", "*", "a.test", "ftp://a.test"}) {
      var settings = settings(null, publicPem(), "i");
      settings.originsText = Optional.of("https://ok.test, " + bad);
      initialized(settings);
      assertThat(settings.problems()).as(bad).containsExactly(AccessSettings.MALFORMED_ORIGINS);
      assertThat(settings.verificationProblems()).as(bad).isEmpty();
      assertThat(settings.allowedOrigins()).as(bad).isEmpty();
    }
  }
}

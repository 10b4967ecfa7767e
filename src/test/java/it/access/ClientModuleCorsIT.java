package it.access;

import static org.assertj.core.api.Assertions.assertThat;

import it.Http;
import it.ServiceTest;
import java.net.URI;
import java.net.http.HttpResponse;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A page on an allowed origin imports the browser client from the service: module scripts are
 * fetched in CORS mode, so the module must carry {@code Access-Control-Allow-Origin} for the
 * origins of {@code CORS_ALLOWED_ORIGINS} (the test server's: https://app.test and
 * https://admin.test), and for no other. It is public code: no credentials.
 */
class ClientModuleCorsIT extends ServiceTest {

  private HttpResponse<String> module(String... headers) {
    return Http.get(URI.create(base.toString()).resolve("/js/status-stream.js"), headers);
  }

  @Test
  void anAllowedOriginMayImportTheModule() {
    for (var origin : List.of("https://app.test", "https://admin.test")) {
      var response = module("Origin", origin);
      assertThat(response.statusCode()).isEqualTo(200);
      assertThat(response.body()).contains("export function connect");
      assertThat(response.headers().firstValue("Access-Control-Allow-Origin")).hasValue(origin);
      assertThat(response.headers().firstValue("Access-Control-Allow-Credentials")).isEmpty();
      assertThat(response.headers().allValues("Vary")).contains("Origin");
    }
  }

  @Test
  void anotherOriginGetsNoCorsHeader() {
    for (var origin : List.of("https://evil.test", "null", "https://app.test.evil.test")) {
      var response = module("Origin", origin);
      assertThat(response.statusCode()).as(origin).isEqualTo(200);
      assertThat(response.headers().map().keySet())
          .as(origin)
          .noneMatch(name -> name.toLowerCase().startsWith("access-control-"));
      assertThat(response.headers().allValues("Vary")).as(origin).contains("Origin");
    }
  }

  @Test
  void theAnswerWithoutAnOriginVariesByOriginForCaches() {
    // A shared cache that kept this answer must not hand it to a page on an allowed origin.
    var response = module();
    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.headers().firstValue("Access-Control-Allow-Origin")).isEmpty();
    assertThat(response.headers().allValues("Vary")).contains("Origin");
  }
}

package it.access;

import static org.assertj.core.api.Assertions.assertThat;

import it.Api;
import it.Http;
import it.ServiceTest;
import java.net.URI;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Health checks and metrics are for probes and scrapers, on the management port (MANAGEMENT_PORT),
 * not on the port browsers reach; what they tell anyone who can reach them is harmless.
 */
class ManagementPortIT extends ServiceTest {

  @Test
  void metricsAndHealthAnswerOnTheManagementPortOnly() {
    assertThat(Http.get(Api.management("/metrics")).statusCode()).isEqualTo(200);
    assertThat(Http.get(Api.management("/health/ready")).statusCode()).isEqualTo(200);
    var app = URI.create(base.toString());
    for (var path : List.of("/metrics", "/health/ready", "/health/live", "/health/started")) {
      var response = Http.get(app.resolve(path));
      assertThat(response.statusCode()).as(path).isEqualTo(404);
      assertThat(Http.json(response.body()).getString("error")).isEqualTo("not_found");
    }
  }

  @Test
  void metricsCarryNoCorsHeadersForAnyOrigin() {
    for (var origin : List.of("https://evil.test", "https://app.test", "null")) {
      var metrics = Http.get(Api.management("/metrics"), "Origin", origin);
      assertThat(metrics.statusCode()).isEqualTo(200);
      assertThat(metrics.headers().map().keySet())
          .as(origin)
          .noneMatch(name -> name.toLowerCase().startsWith("access-control-"));
      var health = Http.get(Api.management("/health/ready"), "Origin", origin);
      assertThat(health.headers().map().keySet())
          .as(origin)
          .noneMatch(name -> name.toLowerCase().startsWith("access-control-"));
    }
  }

  @Test
  void markupInAMetricsScopeIsAnsweredAsInertText() {
    var echo = Http.get(Api.management("/metrics?scope=%3Cscript%3Ealert(1)%3C/script%3E"));
    assertThat(echo.statusCode()).isEqualTo(404);
    assertThat(echo.headers().firstValue("Content-Type"))
        .hasValueSatisfying(type -> assertThat(type).startsWith("text/plain"));
    assertThat(echo.headers().firstValue("X-Content-Type-Options")).hasValue("nosniff");
  }

  @Test
  void healthDataIsFixedTextsWithoutHostsUsersOrSettings() {
    var ready = Http.get(Api.management("/health/ready")).body();
    assertThat(Http.json(ready).getJsonArray("checks").getJsonObject(0).getJsonObject("data"))
        .containsOnlyKeys("configuration", "database", "schema", "listener");
    assertThat(ready)
        .contains("\"configuration\":\"valid\"")
        .doesNotContain("jdbc", "postgres", "localhost", "issuer.test", "app.test");
  }
}

package io.labsos.statusstream.health.boundary;

import io.labsos.statusstream.schema.control.SchemaMigration;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Startup;

/** Started once the schema migrations ran. */
@Startup
@ApplicationScoped
public class StartupCheck implements HealthCheck {

  @Inject SchemaMigration schema;

  @Override
  public HealthCheckResponse call() {
    return HealthCheckResponse.named("schema-migrated").status(schema.isMigrated()).build();
  }
}

package io.labsos.statusstream.demo.boundary;

import io.labsos.statusstream.ApiError;
import io.labsos.statusstream.demo.control.DemoMode;
import io.labsos.statusstream.demo.control.SimulatedJob;
import jakarta.enterprise.context.RequestScoped;
import jakarta.inject.Inject;
import jakarta.json.Json;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response.Status;
import java.sql.SQLException;
import java.time.Duration;

/** {@code /api/demo}: the demo page's project, token and job button; 404 unless in demo mode. */
@Path("demo")
@RequestScoped
@Produces(MediaType.APPLICATION_JSON)
public class DemoResource {

  @Inject DemoMode demo;
  @Inject SimulatedJob job;

  private void requireDemo() {
    if (!demo.enabled()) {
      throw new ApiError(Status.NOT_FOUND, "not_found", "Not Found");
    }
  }

  /** The demo project and a short-lived token for its member. */
  @GET
  public String session() throws SQLException {
    requireDemo();
    if (!demo.hasKey()) {
      throw ApiError.unavailable("Demo mode has no key of its own: a JWT key is configured");
    }
    return Json.createObjectBuilder()
        .add("projectId", job.project().toString())
        .add("token", demo.token(Duration.ofMinutes(10)))
        .build()
        .toString();
  }

  /** Starts the simulated worker; 409 while a job runs (one at a time). */
  @POST
  @Path("jobs")
  public String startJob() throws SQLException {
    requireDemo();
    var started =
        job.start()
            .orElseThrow(
                () ->
                    new ApiError(
                        Status.CONFLICT,
                        "job_running",
                        "A demo job is running; start another when it is done"));
    return Json.createObjectBuilder().add("jobId", started.toString()).build().toString();
  }
}

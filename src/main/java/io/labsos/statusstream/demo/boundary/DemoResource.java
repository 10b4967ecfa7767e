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
    return Json.createObjectBuilder()
        .add("projectId", job.project().toString())
        .add("token", demo.token(Duration.ofMinutes(10)))
        .build()
        .toString();
  }

  @POST
  @Path("jobs")
  public String startJob() throws SQLException {
    requireDemo();
    return Json.createObjectBuilder().add("jobId", job.start().toString()).build().toString();
  }
}

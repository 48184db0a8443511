package io.courier.user;

import io.courier.runtime.Role;
import io.courier.runtime.RoleContext;
import io.courier.runtime.RoleDeployment;
import java.util.List;

/** The {@code user-service} role: one {@link UserGrpcVerticle}. */
public final class UserServiceRole implements Role {

  public static final String NAME = "user-service";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public List<RoleDeployment> deployments(RoleContext context) {
    return List.of(RoleDeployment.of("user-grpc", () -> new UserGrpcVerticle(context), 1));
  }
}

package io.courier.service.impl;

import com.google.protobuf.DescriptorProtos.DescriptorProto;
import com.google.protobuf.DescriptorProtos.FieldDescriptorProto;
import com.google.protobuf.DescriptorProtos.FileDescriptorProto;
import com.google.protobuf.DescriptorProtos.MethodDescriptorProto;
import com.google.protobuf.DescriptorProtos.ServiceDescriptorProto;
import com.google.protobuf.Descriptors;
import io.vertx.core.Handler;
import io.vertx.grpc.common.ServiceMethod;
import io.vertx.grpc.common.ServiceName;
import io.vertx.grpc.reflection.ReflectionService;
import io.vertx.grpc.reflection.v1.ServerReflectionProto;
import io.vertx.grpc.server.GrpcServer;
import io.vertx.grpc.server.Service;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.util.List;

/**
 * Server reflection: Vert.x's {@code grpc.reflection.v1.ServerReflection}, and the same service as
 * {@code grpc.reflection.v1alpha.ServerReflection} (whose messages are v1's under another package),
 * for clients that still ask the older name. Both describe the services the server they are bound
 * to hosts.
 */
public final class GrpcReflection {

  private static final String V1 = "grpc.reflection.v1";
  private static final String V1ALPHA = "grpc.reflection.v1alpha";

  private GrpcReflection() {}

  /** The reflection services to add to a server. */
  public static List<Service> services() {
    return List.of(ReflectionService.v1(), V1Alpha.INSTANCE);
  }

  /** v1 under the v1alpha name: its handler, bound under the other service name. */
  private static final class V1Alpha implements Service {
    private static final V1Alpha INSTANCE = new V1Alpha();
    private static final ServiceName NAME = ServiceName.create(V1ALPHA, "ServerReflection");
    private static final Descriptors.ServiceDescriptor DESCRIPTOR = movedTo(V1ALPHA);

    @Override
    public ServiceName name() {
      return NAME;
    }

    @Override
    public Descriptors.ServiceDescriptor descriptor() {
      return DESCRIPTOR;
    }

    @Override
    public void bind(GrpcServer server) {
      ReflectionService.v1().bind(renaming(server));
    }

    /** {@code server}, where a method bound is bound under the v1alpha service name instead. */
    @SuppressWarnings({"unchecked", "rawtypes"})
    private static GrpcServer renaming(GrpcServer server) {
      InvocationHandler calls =
          (proxy, called, args) -> {
            if (called.getName().equals("callHandler") && args != null && args.length == 2) {
              ServiceMethod method = (ServiceMethod) args[0];
              server.callHandler(
                  ServiceMethod.server(
                      NAME, method.methodName(), method.encoder(), method.decoder()),
                  (Handler) args[1]);
              return proxy;
            }
            try {
              return called.invoke(server, args);
            } catch (InvocationTargetException e) {
              throw e.getCause();
            }
          };
      return (GrpcServer)
          Proxy.newProxyInstance(
              GrpcServer.class.getClassLoader(), new Class<?>[] {GrpcServer.class}, calls);
    }
  }

  /** v1's reflection.proto with every name moved to {@code pkg}. */
  private static Descriptors.ServiceDescriptor movedTo(String pkg) {
    FileDescriptorProto.Builder file =
        ServerReflectionProto.getDescriptor().toProto().toBuilder()
            .setName(pkg.replace('.', '/') + "/reflection.proto")
            .setPackage(pkg)
            .clearOptions();
    for (DescriptorProto.Builder message : file.getMessageTypeBuilderList()) {
      for (FieldDescriptorProto.Builder field : message.getFieldBuilderList()) {
        if (field.hasTypeName()) {
          field.setTypeName(moved(field.getTypeName(), pkg));
        }
      }
    }
    for (ServiceDescriptorProto.Builder service : file.getServiceBuilderList()) {
      for (MethodDescriptorProto.Builder method : service.getMethodBuilderList()) {
        method.setInputType(moved(method.getInputType(), pkg));
        method.setOutputType(moved(method.getOutputType(), pkg));
      }
    }
    try {
      return Descriptors.FileDescriptor.buildFrom(file.build(), new Descriptors.FileDescriptor[0])
          .findServiceByName("ServerReflection");
    } catch (Descriptors.DescriptorValidationException e) {
      throw new IllegalStateException("reflection.proto does not move to " + pkg, e);
    }
  }

  private static String moved(String type, String pkg) {
    return type.startsWith("." + V1 + ".") ? "." + pkg + type.substring(V1.length() + 1) : type;
  }
}

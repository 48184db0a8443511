package io.courier.codec;

import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.FileDescriptor;
import com.google.protobuf.Message;
import io.courier.contract.v1.CommonProto;
import io.courier.contract.v1.EnvelopeProto;
import io.courier.contract.v1.InventoryProto;
import io.courier.contract.v1.NotificationProto;
import io.courier.contract.v1.OptionsProto;
import io.courier.contract.v1.OrderProto;
import io.courier.contract.v1.PaymentProto;
import io.courier.contract.v1.UserProto;
import java.lang.reflect.InvocationTargetException;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Every message type of Courier's protobuf contract, found by walking the generated file
 * descriptors, so a message added to a {@code .proto} file is known here without a second list to
 * keep in step.
 */
public final class ContractTypes {

  /** The contract's files. A new {@code .proto} file adds its outer class here. */
  private static final List<FileDescriptor> FILES =
      List.of(
          CommonProto.getDescriptor(),
          EnvelopeProto.getDescriptor(),
          UserProto.getDescriptor(),
          OrderProto.getDescriptor(),
          InventoryProto.getDescriptor(),
          PaymentProto.getDescriptor(),
          NotificationProto.getDescriptor());

  private static final Map<String, Message> BY_NAME = load();

  private ContractTypes() {}

  /** The default instance of every top-level message type, keyed by full protobuf name. */
  public static Map<String, Message> all() {
    return BY_NAME;
  }

  /** Default instances of every top-level message type. */
  public static Collection<Message> defaultInstances() {
    return BY_NAME.values();
  }

  /** The default instance of the type with this full protobuf name, e.g. courier.v1.OrderPlaced. */
  public static Optional<Message> byName(String fullName) {
    return Optional.ofNullable(BY_NAME.get(fullName));
  }

  /** The files whose types are listed here. */
  public static List<FileDescriptor> files() {
    return FILES;
  }

  /**
   * The schema version a type declares with the {@code (courier.v1.schema_version)} option; 1 when
   * it declares none.
   */
  public static int schemaVersion(Descriptor descriptor) {
    int declared = descriptor.getOptions().getExtension(OptionsProto.schemaVersion);
    return declared > 0 ? declared : 1;
  }

  private static Map<String, Message> load() {
    Map<String, Message> types = new LinkedHashMap<>();
    for (FileDescriptor file : FILES) {
      String javaPackage = file.getOptions().getJavaPackage();
      for (Descriptor descriptor : file.getMessageTypes()) {
        types.put(descriptor.getFullName(), defaultInstance(javaPackage, descriptor));
      }
    }
    return Collections.unmodifiableMap(types);
  }

  private static Message defaultInstance(String javaPackage, Descriptor descriptor) {
    String className = javaPackage + "." + descriptor.getName();
    try {
      Class<?> type = Class.forName(className, true, ContractTypes.class.getClassLoader());
      return (Message) type.getMethod("getDefaultInstance").invoke(null);
    } catch (ClassNotFoundException
        | NoSuchMethodException
        | IllegalAccessException
        | InvocationTargetException e) {
      throw new IllegalStateException(
          "generated class " + className + " for " + descriptor.getFullName() + " not found", e);
    }
  }
}

package io.courier.codec;

import com.google.protobuf.Descriptors.EnumDescriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Message;
import java.util.ArrayList;
import java.util.List;

/**
 * Builds, for any contract type, a message with every field set to a non-default value (nested
 * messages filled in turn, repeated fields with two entries), so a round trip that drops or mangles
 * any field shows up as inequality.
 */
public final class SampleMessages {

  private SampleMessages() {}

  /** A fully populated sample of every contract type. */
  public static List<Message> everyType() {
    List<Message> samples = new ArrayList<>();
    for (Message prototype : ContractTypes.defaultInstances()) {
      samples.add(populated(prototype, 0));
    }
    return samples;
  }

  static Message populated(Message prototype, int depth) {
    Message.Builder builder = prototype.newBuilderForType();
    for (FieldDescriptor field : prototype.getDescriptorForType().getFields()) {
      if (field.getJavaType() == FieldDescriptor.JavaType.MESSAGE && depth > 3) {
        continue;
      }
      if (field.isRepeated()) {
        builder.addRepeatedField(field, value(builder, field, depth, 1));
        builder.addRepeatedField(field, value(builder, field, depth, 2));
      } else {
        builder.setField(field, value(builder, field, depth, 1));
      }
    }
    return builder.build();
  }

  private static Object value(Message.Builder builder, FieldDescriptor field, int depth, int n) {
    return switch (field.getJavaType()) {
      case STRING -> field.getName() + "-" + n + "-\u00e9\u4e2d";
      case INT -> 40 + n;
      case LONG -> 9_000_000_000L + n;
      case BOOLEAN -> true;
      case FLOAT -> 1.5f * n;
      case DOUBLE -> 2.5d * n;
      case BYTE_STRING -> com.google.protobuf.ByteString.copyFrom(new byte[] {1, 2, (byte) n});
      case ENUM -> lastValue(field.getEnumType());
      case MESSAGE -> populated(builder.newBuilderForField(field).build(), depth + 1);
    };
  }

  private static Object lastValue(EnumDescriptor type) {
    return type.getValues().get(type.getValues().size() - 1);
  }
}

package io.courier.app.flow;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Seed files a flow test controls: its own users and SKUs with known stock, plus one SKU set aside
 * ({@code asideSku}, not in {@code skus}) for tests whose orders must not enter the stock audit.
 */
record FlowSeeds(
    Path users,
    Path inventory,
    List<String> userIds,
    List<String> skus,
    long stock,
    String asideSku) {

  static FlowSeeds write(Path dir, String prefix, int userCount, int skuCount, long stock)
      throws IOException {
    List<String> userIds = new ArrayList<>();
    JsonArray users = new JsonArray();
    for (int i = 1; i <= userCount; i++) {
      String id = prefix + "u" + i;
      userIds.add(id);
      users.add(new JsonObject().put("id", id).put("name", "User " + i).put("active", true));
    }
    users.add(new JsonObject().put("id", prefix + "inactive").put("active", false));
    List<String> skus = new ArrayList<>();
    JsonArray levels = new JsonArray();
    for (int i = 1; i <= skuCount; i++) {
      String sku = prefix + "sku-" + i;
      skus.add(sku);
      levels.add(
          new JsonObject()
              .put("sku", sku)
              .put("stock", stock)
              .put("priceMinor", 100 + i)
              .put("currency", "EUR"));
    }
    String aside = prefix + "sku-aside";
    levels.add(
        new JsonObject()
            .put("sku", aside)
            .put("stock", stock)
            .put("priceMinor", 100)
            .put("currency", "EUR"));
    Path usersFile = dir.resolve("users.json");
    Path inventoryFile = dir.resolve("inventory.json");
    Files.writeString(usersFile, new JsonObject().put("users", users).encode());
    Files.writeString(inventoryFile, new JsonObject().put("skus", levels).encode());
    return new FlowSeeds(usersFile, inventoryFile, userIds, skus, stock, aside);
  }
}

/**
 * Devices on the profile item (`devices.<deviceKey>`), each change bumping `devicesRevision` so
 * that erasing a deleted customer (functions/customers) never misses a device registered meanwhile.
 */
import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import { GetCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { registeredDevice, type ProfileTable, type RegisteredDevice } from "../common/profiles.ts";
import * as z from "zod";

export type ProfileState =
  | { readonly kind: "missing" }
  | { readonly kind: "deleted" }
  | { readonly kind: "active"; readonly devices: Readonly<Record<string, RegisteredDevice>> };

export interface DeviceStore {
  profile(customerId: string): Promise<ProfileState>;
  /** Records the device; false when the profile is missing or deleted by now. */
  put(customerId: string, key: string, device: RegisteredDevice): Promise<boolean>;
  /** Forgets the device (a no-op when it is not there). */
  remove(customerId: string, key: string): Promise<void>;
}

const devices = z.record(z.string(), registeredDevice);
const LIVE = "attribute_exists(pk) AND attribute_not_exists(deleted)";

/** {@link DeviceStore} on the profiles table. */
export function dynamoDeviceStore(table: ProfileTable): DeviceStore {
  const { client, tableName: TableName } = table;
  const conditional = async (command: UpdateCommand): Promise<boolean> => {
    try {
      await client.send(command);
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  };
  return {
    async profile(customerId) {
      const { Item } = await client.send(new GetCommand({ TableName, Key: { pk: customerId }, ConsistentRead: true }));
      if (!Item) return { kind: "missing" };
      if (Item.deleted === true) return { kind: "deleted" };
      return { kind: "active", devices: devices.catch({}).parse(Item.devices ?? {}) };
    },
    async put(customerId, key, device) {
      // A nested SET needs its parent map: create it first (profiles written before devices existed).
      const ready = await conditional(
        new UpdateCommand({
          TableName,
          Key: { pk: customerId },
          UpdateExpression: "SET devices = if_not_exists(devices, :empty)",
          ConditionExpression: LIVE,
          ExpressionAttributeValues: { ":empty": {} },
        }),
      );
      if (!ready) return false;
      return conditional(
        new UpdateCommand({
          TableName,
          Key: { pk: customerId },
          UpdateExpression: "SET devices.#key = :device ADD devicesRevision :one",
          ConditionExpression: LIVE,
          ExpressionAttributeNames: { "#key": key },
          ExpressionAttributeValues: { ":device": device, ":one": 1 },
        }),
      );
    },
    async remove(customerId, key) {
      await conditional(
        new UpdateCommand({
          TableName,
          Key: { pk: customerId },
          UpdateExpression: "REMOVE devices.#key ADD devicesRevision :one",
          ConditionExpression: `${LIVE} AND attribute_exists(devices.#key)`,
          ExpressionAttributeNames: { "#key": key },
          ExpressionAttributeValues: { ":one": 1 },
        }),
      );
    },
  };
}

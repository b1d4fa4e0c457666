/**
 * SNS platform endpoints for device tokens, idempotent per token: registering a token twice gives
 * the same endpoint, and a disabled endpoint (the platform once reported the token invalid, or the
 * app reinstalled) is re-enabled with the current token. This is the flow the SNS developer guide
 * recommends for mobile token management.
 */
import {
  CreatePlatformEndpointCommand,
  DeleteEndpointCommand,
  GetEndpointAttributesCommand,
  InvalidParameterException,
  NotFoundException,
  SetEndpointAttributesCommand,
  type SNSClient,
} from "@aws-sdk/client-sns";
import { InvalidTokenError } from "./errors.ts";

/** What the device core needs from SNS. */
export interface EndpointRegistry {
  /** The enabled endpoint for `token` in the application; reuses `known` when it still exists. */
  ensure(applicationArn: string, token: string, known: string | undefined): Promise<string>;
  /** Deletes an endpoint; an endpoint already gone counts as deleted. */
  remove(endpointArn: string): Promise<void>;
}

// SNS refuses a second CreatePlatformEndpoint for a token whose endpoint has other attributes, and
// names the existing endpoint in the message.
const EXISTING_ENDPOINT = /Endpoint (arn:aws[\w-]*:sns:\S+) already exists/;

/** {@link EndpointRegistry} on a real SNS client. */
export function snsEndpointRegistry(sns: SNSClient): EndpointRegistry {
  async function attributes(endpointArn: string): Promise<Record<string, string> | undefined> {
    try {
      return (await sns.send(new GetEndpointAttributesCommand({ EndpointArn: endpointArn }))).Attributes ?? {};
    } catch (error) {
      if (error instanceof NotFoundException) return undefined;
      throw error;
    }
  }

  async function create(applicationArn: string, token: string): Promise<string> {
    try {
      const { EndpointArn } = await sns.send(new CreatePlatformEndpointCommand({ PlatformApplicationArn: applicationArn, Token: token }));
      if (!EndpointArn) throw new Error("SNS CreatePlatformEndpoint returned no EndpointArn");
      return EndpointArn;
    } catch (error) {
      if (!(error instanceof InvalidParameterException)) throw error;
      const existing = EXISTING_ENDPOINT.exec(error.message)?.[1];
      if (existing) return existing;
      // Anything else SNS finds wrong with the parameters is about the token (the ARN is ours).
      throw new InvalidTokenError(`SNS refused it (${error.message})`);
    }
  }

  return {
    async ensure(applicationArn, token, known) {
      let endpointArn = known;
      let current = endpointArn ? await attributes(endpointArn) : undefined;
      if (!endpointArn || !current) {
        endpointArn = await create(applicationArn, token);
        current = await attributes(endpointArn);
        // Deleted between the two calls: create again, once.
        if (!current) {
          endpointArn = await create(applicationArn, token);
          current = (await attributes(endpointArn)) ?? {};
        }
      }
      if (current.Enabled !== "true" || current.Token !== token) {
        await sns.send(new SetEndpointAttributesCommand({ EndpointArn: endpointArn, Attributes: { Token: token, Enabled: "true" } }));
      }
      return endpointArn;
    },
    async remove(endpointArn) {
      try {
        await sns.send(new DeleteEndpointCommand({ EndpointArn: endpointArn }));
      } catch (error) {
        if (!(error instanceof NotFoundException)) throw error;
      }
    },
  };
}

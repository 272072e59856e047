import { inject } from "vitest";
import { dynamoLeaseDriver } from "../support/lease-drivers/dynamodb.ts";
import { runLeaseSuite } from "./lease-suite.ts";

/**
 * The lease behaviour suite on dynalite, several checkpointers on one table standing in for several
 * processes. DynamoDB-only tests: dynamodb-rules (expressions), dynamodb-cost, dynamodb-write-failures.
 */
runLeaseSuite("DynamoDBCheckPointer (dynalite)", dynamoLeaseDriver(() => inject("dynamodbEndpoint")));

/**
 * The broker module `q` loads first (`q dist/broker.js dist/tasks.js`): the recipes' broker,
 * from REDIS_URL and RECIPES_NAMESPACE, set as the global broker before the actors are declared.
 */
import { setBroker } from "@q/core";
import { createRecipesBroker } from "./createRecipesBroker";

export const { broker } = createRecipesBroker();
setBroker(broker);

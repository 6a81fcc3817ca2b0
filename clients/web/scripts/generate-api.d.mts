/** The generated schema text, from the OpenAPI document of the node in this repository. */
export function generatedSchema(): Promise<string>;

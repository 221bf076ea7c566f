/** Where the new project's PipeWeave packages come from: npm version ranges or `file:` specs. */
export interface PackageSources {
  readonly sdk: string
  readonly cli: string
  /** Specs for the SDK's own `@pipeweave/*` dependencies, when they are local too. */
  readonly overrides: Readonly<Record<string, string>>
}

/** The published versions, the default. */
export const PUBLISHED: PackageSources = { sdk: "^0.1.0", cli: "^0.1.0", overrides: {} }

/** A file of a new worker project: path relative to the project directory, and content. */
export interface ScaffoldFile {
  readonly path: string
  readonly content: string
}

const packageJson = (name: string, sources: PackageSources): string =>
  `${
    JSON.stringify(
      {
        name,
        version: "0.1.0",
        private: true,
        type: "module",
        scripts: { dev: "tsx watch src/worker.ts", build: "tsc", start: "node dist/worker.js" },
        dependencies: { "@pipeweave/sdk": sources.sdk, effect: "^3.22.4" },
        devDependencies: {
          "@pipeweave/cli": sources.cli,
          "@types/node": "^20.19.0",
          tsx: "^4.20.0",
          typescript: "~5.9.3"
        },
        ...(Object.keys(sources.overrides).length > 0 ? { overrides: sources.overrides } : {})
      },
      null,
      2
    )
  }\n`

const tsconfig = `${
  JSON.stringify(
    {
      compilerOptions: {
        target: "ES2022",
        module: "NodeNext",
        moduleResolution: "NodeNext",
        strict: true,
        skipLibCheck: true,
        rootDir: "src",
        outDir: "dist",
        types: ["node"]
      },
      include: ["src"]
    },
    null,
    2
  )
}\n`

const worker = (name: string, orchestratorUrl: string): string =>
  `import { createWorker } from "@pipeweave/sdk";

const worker = createWorker({
  orchestratorUrl: process.env.PIPEWEAVE_ORCHESTRATOR_URL ?? ${JSON.stringify(orchestratorUrl)},
  serviceId: ${JSON.stringify(name)},
  version: "0.1.0",
  secretKey: process.env.PIPEWEAVE_SECRET_KEY, // Required: for JWT decryption
});

worker.register(
  "hello",
  {
    allowedNext: [],
    timeout: 60,
    retries: 3,
    heartbeatIntervalMs: 30000,
  },
  async (ctx) => {
    // Function is hashed on registration for code change detection
    ctx.log.info(\`Saying hello with code v\${ctx.codeVersion} (\${ctx.codeHash})\`);
    return { greeting: \`Hello, \${ctx.input.name ?? "world"}!\` };
  }
);

await worker.listen(Number(process.env.PORT ?? 8080));
`

const readme = (name: string, orchestratorUrl: string): string =>
  `# ${name}

A PipeWeave worker service. Its tasks are plain async functions registered in \`src/worker.ts\`;
the worker registers them with the orchestrator when it starts.

## Run it

1. Install the dependencies: \`npm install\`
2. Start an orchestrator: \`npx -p @pipeweave/orchestrator pipeweave-orchestrator\` (embedded database under
   \`./.pipeweave\`), or its container (see PipeWeave's README, "Deploy"). Workers and the
   orchestrator share one secret: \`PIPEWEAVE_SECRET_KEY\` (64 hex characters, \`openssl rand -hex 32\`);
   in development the orchestrator keeps its own in \`.pipeweave/secret.key\`.
3. Start the worker:

   \`\`\`bash
   export PIPEWEAVE_SECRET_KEY=<the orchestrator's key>
   export PIPEWEAVE_ORCHESTRATOR_URL=${orchestratorUrl}
   npm run dev
   \`\`\`

   It listens on port 8080 (\`PORT\`). When the orchestrator must reach it at another address,
   set \`PIPEWEAVE_BASE_URL\`.
4. Try it:

   \`\`\`bash
   npx pipeweave services --tasks
   npx pipeweave queue hello -i '{"name": "Ada"}' --wait
   \`\`\`

## Production

\`\`\`bash
npm run build
npm start
\`\`\`
`

/** The files of a new worker project named `name`. */
export const scaffoldFiles = (
  name: string,
  orchestratorUrl: string,
  sources: PackageSources = PUBLISHED
): ReadonlyArray<ScaffoldFile> => [
  { path: "package.json", content: packageJson(name, sources) },
  { path: "tsconfig.json", content: tsconfig },
  { path: "src/worker.ts", content: worker(name, orchestratorUrl) },
  { path: "README.md", content: readme(name, orchestratorUrl) },
  { path: ".gitignore", content: "node_modules/\ndist/\n" }
]

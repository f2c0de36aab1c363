// The scorebook extension: starts `scorebook lsp` for .ind files and restarts it on request.
import * as vscode from "vscode";
import { execFile } from "child_process";
import { LanguageClient, LanguageClientOptions, ServerOptions } from "vscode-languageclient/node";

let client: LanguageClient | undefined;

function binary(): string {
  return vscode.workspace.getConfiguration("scorebook").get<string>("path") || "scorebook";
}

/// Does the binary run? A clear message when it is missing, rather than a failed client.
function check(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    execFile(path, ["--version"], (error) => resolve(!error));
  });
}

async function start(context: vscode.ExtensionContext): Promise<void> {
  const path = binary();
  if (!(await check(path))) {
    const choice = await vscode.window.showErrorMessage(
      `scorebook: cannot run \`${path}\`. Install it (cargo install --path . in a scorebook clone) or set scorebook.path to the binary.`,
      "Open settings",
    );
    if (choice === "Open settings") {
      vscode.commands.executeCommand("workbench.action.openSettings", "scorebook.path");
    }
    return;
  }
  const server: ServerOptions = { command: path, args: ["lsp"] };
  const options: LanguageClientOptions = {
    documentSelector: [{ scheme: "file", language: "scorebook" }],
    synchronize: { fileEvents: vscode.workspace.createFileSystemWatcher("**/*.ind") },
  };
  client = new LanguageClient("scorebook", "scorebook", server, options);
  await client.start();
  context.subscriptions.push({ dispose: () => client?.stop() });
}

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  context.subscriptions.push(
    vscode.commands.registerCommand("scorebook.restart", async () => {
      await client?.stop();
      client = undefined;
      await start(context);
    }),
  );
  await start(context);
}

export async function deactivate(): Promise<void> {
  await client?.stop();
}

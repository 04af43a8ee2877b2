/**
 * The Notes dialog: a multi-line text area (notes are paragraphs, not a
 * line). Enter adds a line; Ctrl/⌘-Enter or the Save button saves.
 */
import { Dialog } from '@jupyterlab/apputils';
import { Widget } from '@lumino/widgets';

export class NotesBody extends Widget implements Dialog.IBodyWidget<string> {
  constructor(text: string) {
    super({ node: document.createElement('div') });
    this.addClass('nbtrack-NotesBody');
    this.textarea = document.createElement('textarea');
    this.textarea.className = 'nbtrack-NotesBody-text jp-mod-styled';
    this.textarea.rows = 8;
    this.textarea.value = text;
    this.textarea.setAttribute('aria-label', 'Notes');
    this.textarea.placeholder = 'What was tried, what was learned…';
    this.node.appendChild(this.textarea);
  }

  readonly textarea: HTMLTextAreaElement;

  getValue(): string {
    return this.textarea.value;
  }
}

/** Ask for a run's notes; the new text, or null when cancelled. */
export async function editNotes(title: string, text: string): Promise<string | null> {
  const body = new NotesBody(text);
  const dialog = new Dialog({
    title,
    body,
    focusNodeSelector: 'textarea',
    buttons: [Dialog.cancelButton(), Dialog.okButton({ label: 'Save' })]
  });
  body.textarea.addEventListener('keydown', event => {
    if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      dialog.resolve(1);
    }
  });
  const result = await dialog.launch();
  return result.button.accept ? (result.value ?? '') : null;
}

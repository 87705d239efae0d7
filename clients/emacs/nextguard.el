;;; nextguard.el --- nextguard language server set-up for eglot and lsp-mode  -*- lexical-binding: t -*-

;; Author: the nextguard authors
;; Version: 0.1.0
;; Package-Requires: ((emacs "28.1"))
;; Keywords: languages, tools
;; SPDX-License-Identifier: MIT

;;; Commentary:

;; nextguard finds the security mistakes Next.js Server Actions make easy and fixes them.  This
;; file starts its language server, `nextguard lsp', for TypeScript and JavaScript buffers
;; (`typescript-ts-mode', `tsx-ts-mode', `js-ts-mode', and the older `typescript-mode',
;; `js-mode', `js-jsx-mode') with either client:
;;
;; * eglot (built into Emacs 29+): loading this file adds an entry to `eglot-server-programs'.
;;   Eglot runs ONE server per buffer: with the entry, nextguard replaces typescript-language-server
;;   in those buffers.  To keep both, set `nextguard-eglot-with-typescript-server' to t: the entry
;;   then starts the `rass' multiplexer (pip install rassumfrassum), which runs
;;   typescript-language-server and nextguard behind one connection.
;; * lsp-mode: loading this file registers nextguard as an add-on client (`:add-on? t'), which
;;   lsp-mode runs beside ts-ls in the same buffer.
;;
;; Usage:
;;   (add-to-list 'load-path "/path/to/nextguard/clients/emacs")
;;   (require 'nextguard)
;;   (add-hook 'typescript-ts-mode-hook #'eglot-ensure)   ; or #'lsp-deferred
;;   (add-hook 'tsx-ts-mode-hook #'eglot-ensure)

;;; Code:

(declare-function lsp-register-client "lsp-mode")
(declare-function make-lsp-client "lsp-mode")
(declare-function lsp-stdio-connection "lsp-mode")
(declare-function lsp-activate-on "lsp-mode")
(declare-function lsp--set-configuration "lsp-mode")
(declare-function lsp-configuration-section "lsp-mode")
(declare-function lsp-register-custom-settings "lsp-mode")
(declare-function lsp-execute-code-action-by-kind "lsp-mode")
(declare-function lsp-send-execute-command "lsp-mode")
(declare-function eglot-code-actions "eglot")
(declare-function eglot-execute-command "eglot")
(declare-function eglot--current-server-or-lose "eglot")
(defvar lsp-language-id-configuration)
(defvar lsp--cur-workspace)
(defvar eglot-server-programs)

(defgroup nextguard nil
  "The nextguard language server for Next.js workspaces."
  :group 'tools
  :prefix "nextguard-")

(defcustom nextguard-executable "nextguard"
  "The nextguard program: a name found on `exec-path', or an absolute path.
For a project's virtual environment, use its .venv/bin/nextguard."
  :type 'string)

(defcustom nextguard-settings nil
  "Server settings: the keys of nextguard.json, plus :logLevel.
A plist with keyword keys; JSON arrays are vectors, false is :json-false.
Only what is set here is sent (as initializationOptions, and for
workspace/configuration section \"nextguard\" under lsp-mode); everything
else stays as the project's nextguard.json says.  Example:
  (:rules (:NG203 \"error\" :NG202 \"off\")
   :authPrimitives [\"requireUser\" \"@/lib/auth#requireUser\"]
   :dataClients [\"@/lib/kv#kv\"]
   :publicActions [\"app/actions/newsletter.ts#subscribe\"]
   :ignore [\"legacy/**\"]
   :ownerFields [\"tenantId\"]
   :supabase (:rls t)
   :unauthorized \"redirect:/login\"
   :diagnosticsScope \"workspace\"
   :logLevel \"info\")
With eglot, per-project settings go in .dir-locals.el instead:
  ((nil . ((eglot-workspace-configuration
            . (:nextguard (:diagnosticsScope \"openFiles\"))))))"
  :type '(plist :key-type symbol :value-type sexp))

(defcustom nextguard-eglot-with-typescript-server nil
  "Non-nil: under eglot, run nextguard beside typescript-language-server.
Eglot manages one server per buffer, so both are started behind the `rass'
multiplexer (pip install rassumfrassum; npm install -g
typescript-language-server typescript).  nil: nextguard is the only eglot
server of these modes."
  :type 'boolean)

(defconst nextguard-modes
  '((typescript-ts-mode :language-id "typescript")
    (tsx-ts-mode :language-id "typescriptreact")
    (js-ts-mode :language-id "javascript")
    (typescript-mode :language-id "typescript")
    (js-jsx-mode :language-id "javascriptreact")
    (js-mode :language-id "javascript"))
  "Major modes nextguard serves, with the LSP languageId eglot should send.")

(defun nextguard--settings-object ()
  "`nextguard-settings' as a JSON object (never null)."
  (or nextguard-settings (make-hash-table)))

(defun nextguard-eglot-contact (&optional _interactive)
  "The eglot contact for nextguard (evaluated when eglot connects)."
  (let ((opts (list :initializationOptions (nextguard--settings-object))))
    (if nextguard-eglot-with-typescript-server
        `("rass" "--" "typescript-language-server" "--stdio" "--" ,nextguard-executable "lsp" ,@opts)
      `(,nextguard-executable "lsp" ,@opts))))

;;;; eglot

(with-eval-after-load 'eglot
  (add-to-list 'eglot-server-programs (cons nextguard-modes #'nextguard-eglot-contact)))

(defun nextguard-fix-all ()
  "Apply every safe nextguard fix in the current buffer (source.fixAll.nextguard)."
  (interactive)
  (cond
   ((and (bound-and-true-p eglot--managed-mode) (fboundp 'eglot-code-actions))
    (eglot-code-actions (point-min) (point-max) "source.fixAll.nextguard" t))
   ((and (bound-and-true-p lsp-mode) (fboundp 'lsp-execute-code-action-by-kind))
    (lsp-execute-code-action-by-kind "source.fixAll.nextguard"))
   (t (user-error "nextguard: no eglot or lsp-mode connection in this buffer"))))

(defun nextguard-fix-all-workspace ()
  "Apply every safe nextguard fix in the workspace.
Runs the server command nextguard.fixAllWorkspace."
  (interactive)
  (cond
   ((and (bound-and-true-p eglot--managed-mode) (fboundp 'eglot-execute-command))
    (eglot-execute-command (eglot--current-server-or-lose) "nextguard.fixAllWorkspace" []))
   ((and (bound-and-true-p lsp-mode) (fboundp 'lsp-send-execute-command))
    (lsp-send-execute-command "nextguard.fixAllWorkspace" []))
   (t (user-error "nextguard: no eglot or lsp-mode connection in this buffer"))))

(defun nextguard-fix-all-before-save ()
  "Apply every safe nextguard fix before saving; never blocks the save.
Use: (add-hook \='before-save-hook #\='nextguard-fix-all-before-save nil t)
in the hook of the modes you edit, e.g. `typescript-ts-mode-hook'."
  (when (or (bound-and-true-p eglot--managed-mode) (bound-and-true-p lsp-mode))
    (condition-case err
        (nextguard-fix-all)
      (error (unless (string-match-p "code actions here" (error-message-string err))
               (message "nextguard: %s" (error-message-string err)))))))

;;;; lsp-mode


(defun nextguard--lsp-setting (key)
  "A function returning KEY of `nextguard-settings'.
For `lsp-register-custom-settings'."
  (lambda () (plist-get nextguard-settings key)))

(with-eval-after-load 'lsp-mode
  ;; workspace/configuration section "nextguard" is answered from these (unset keys are omitted).
  (lsp-register-custom-settings
   (mapcar (lambda (key)
             (list (concat "nextguard." (substring (symbol-name key) 1)) (nextguard--lsp-setting key)))
           '(:rules :authPrimitives :dataClients :publicActions :ignore :ownerFields
             :supabase :unauthorized :diagnosticsScope :logLevel)))
  (dolist (m '((typescript-ts-mode . "typescript") (tsx-ts-mode . "typescriptreact")
               (js-ts-mode . "javascript")))
    (add-to-list 'lsp-language-id-configuration m))
  (lsp-register-client
   (make-lsp-client
    :new-connection (lsp-stdio-connection (lambda () (list nextguard-executable "lsp")))
    :activation-fn (lsp-activate-on "typescript" "typescriptreact" "javascript" "javascriptreact")
    :server-id 'nextguard
    ;; an add-on runs beside the buffer's main server (ts-ls) instead of competing with it
    :add-on? t
    :priority -1
    :initialization-options #'nextguard--settings-object
    :initialized-fn (lambda (workspace)
                      ;; (with-lsp-workspace, spelled out so this file compiles without lsp-mode)
                      (let ((lsp--cur-workspace workspace))
                        (lsp--set-configuration (lsp-configuration-section "nextguard")))))))

(provide 'nextguard)
;;; nextguard.el ends here

;;; test.el --- batch end-to-end test of nextguard with eglot  -*- lexical-binding: t -*-
;; Run: emacs --batch -l test.el src/app/actions/notes.ts   (NEXTGUARD_CLIENT_CONFIG = clients/emacs/nextguard.el)
;; Loads the shipped nextguard.el, connects eglot, waits for NG101 on archiveNote, applies its quick
;; fix through eglot's code-action command (`eglot-code-actions', whose menu is answered here), saves,
;; and waits for the diagnostic to go.  Works with Emacs 28.2 + elpa-eglot 1.9 and Emacs 29+.
(require 'package)
(package-initialize)                    ; activates Debian's /usr/share/emacs/site-lisp/elpa/* (eglot)
(require 'eglot)
(require 'flymake)
(require 'js)
(require 'cl-lib)

(defvar ng-result (or (getenv "RESULT_FILE") "emacs-result.txt"))
(defvar ng-lines nil)
(defun ng-say (fmt &rest args)
  (let ((s (apply #'format fmt args)))
    (push s ng-lines) (message "%s" s)))

;; Emacs 28 has no typescript-ts-mode (Emacs 29+ has it, with a tree-sitter grammar). Stand in for it
;; with a js-mode-derived mode of the same name, so nextguard.el's entry for it is what connects.
(unless (fboundp 'typescript-ts-mode)
  (define-derived-mode typescript-ts-mode js-mode "TypeScript"))
(add-to-list 'auto-mode-alist '("\\.ts\\'" . typescript-ts-mode))

(load (or (getenv "NEXTGUARD_CLIENT_CONFIG") (error "NEXTGUARD_CLIENT_CONFIG not set")) nil t)

(setq eglot-send-changes-idle-time 0.1
      eglot-sync-connect t
      eglot-connect-timeout 60
      eglot-autoshutdown t
      eglot-events-buffer-size 2000000)

(defun ng-wait (pred timeout)
  "Pump process output and timers until PRED is non-nil or TIMEOUT seconds pass."
  (let ((deadline (+ (float-time) timeout)) res)
    (while (and (not (setq res (funcall pred))) (< (float-time) deadline))
      (accept-process-output nil 0.05))
    res))

(defun ng-line-of (needle)
  (save-excursion
    (goto-char (point-min))
    (when (search-forward needle nil t) (line-number-at-pos))))

(defun ng-ng101-on (line)
  (cl-find-if (lambda (d)
                (and (= (line-number-at-pos (flymake-diagnostic-beg d)) line)
                     (string-match-p "\\[NG101\\]" (flymake-diagnostic-text d))))
              (flymake-diagnostics)))

(defun ng-pick (titles)
  "Choose the action that inserts the auth check among TITLES (what a user would pick)."
  (dolist (title titles) (ng-say "menu item: %s" title))
  (or (cl-find-if (lambda (title) (string-match-p "verifySession" title)) titles)
      (error "no action inserting verifySession among %S" titles)))

(defun ng-run (file)
  (find-file file)
  (ng-say "emacs %s, eglot %s, major-mode: %s" emacs-version
          (or (ignore-errors (package-version-join (package-desc-version (cadr (assq 'eglot package-alist)))))
              "built-in")
          major-mode)
  (let ((line (or (ng-line-of "export async function archiveNote") (error "archiveNote not found"))))
    ;; `eglot-ensure' defers to `post-command-hook', which never runs in --batch: connect directly.
    (apply #'eglot (eglot--guess-contact))
    (let ((server (or (eglot-current-server) (error "eglot did not connect"))))
      (ng-say "server: %S" (eglot--server-info server))
      (flymake-start)
      (unless (ng-wait (lambda () (ng-ng101-on line)) 60)
        (error "no NG101 on line %d within 60s; diagnostics: %S" line
               (mapcar #'flymake-diagnostic-text (flymake-diagnostics))))
      (let ((d (ng-ng101-on line)))
        (ng-say "diagnostic: line %d: %s" line (flymake-diagnostic-text d))
        ;; The quick fix through eglot's own command: `eglot-code-actions' asks the server for the
        ;; quickfix actions at the diagnostic and, as there are several, shows a menu; answer it the
        ;; way a user would (in --batch the menu would read stdin).
        ;; A request sent while the server is still indexing the workspace may get only the
        ;; suppressions: ask (without applying) until the fix is offered, as a user would try again.
        (let ((tries 0))
          (while (not (cl-some (lambda (a) (string-match-p "verifySession" (plist-get a :title)))
                               (eglot-code-actions (flymake-diagnostic-beg d) (flymake-diagnostic-end d)
                                                   "quickfix")))
            (when (> (cl-incf tries) 40) (error "the server never offered the fix"))
            (ng-wait (lambda () nil) 0.5)
            (setq d (or (ng-ng101-on line) d)))
          (when (> tries 0) (ng-say "the fix was offered after %d retries" tries)))
        (cl-letf (((symbol-function 'completing-read)
                   (lambda (_prompt collection &rest _)
                     (ng-pick (mapcar (lambda (c) (if (consp c) (car c) c)) collection))))
                  ((symbol-function 'x-popup-menu)
                   (lambda (_pos menu)
                     (let* ((items (cdr (cadr menu)))
                            (title (ng-pick (mapcar #'car items))))
                       (cdr (assoc title items))))))
          (goto-char (flymake-diagnostic-beg d))
          (eglot-code-actions (flymake-diagnostic-beg d) (flymake-diagnostic-end d) "quickfix" t)))
      (unless (ng-wait (lambda () (save-excursion
                                    (goto-char (point-min)) (forward-line line)
                                    (search-forward "await verifySession()" (line-end-position 4) t)))
                       15)
        (error "the quick fix was not applied to the buffer"))
      (save-excursion
        (goto-char (point-min)) (forward-line (1- line))
        (ng-say "after the fix:\n%s" (buffer-substring-no-properties (point) (line-end-position 4))))
      (save-buffer)
      (unless (ng-wait (lambda () (not (ng-ng101-on line))) 30)
        (error "NG101 is still on archiveNote 30s after the fix"))
      (ng-say "NG101 on archiveNote is gone; diagnostics left: %d" (length (flymake-diagnostics)))
      (eglot-shutdown server))))

(let ((ok (condition-case err
              (progn (ng-run (car command-line-args-left)) t)
            (error (ng-say "ERROR: %S" err) nil))))
  (setq command-line-args-left nil)
  (ng-say (if ok "editor steps: PASS" "editor steps: FAIL"))
  (with-temp-file ng-result
    (insert (mapconcat #'identity (reverse ng-lines) "\n") "\n"))
  (unless ok
    (dolist (b (buffer-list))           ; the tail of eglot's JSON-RPC log
      (when (string-prefix-p "*EGLOT" (buffer-name b))
        (with-current-buffer b
          (message "--- %s\n%s" (buffer-name b)
                   (buffer-substring (max (point-min) (- (point-max) 4000)) (point-max)))))))
  (kill-emacs (if ok 0 1)))
